//! `sagetune models`: the embedded catalog as a table or JSON.

use crate::cli::ListFormat;
use crate::jumpstart::catalog::MODELS;
use crate::render;

use super::Outcome;

pub fn run(format: ListFormat) -> Outcome {
    Outcome::printed(match format {
        ListFormat::Json => render::json_value(&MODELS),
        ListFormat::Table => render::catalog_table(),
    })
}
