//! `sagetune models`: the embedded catalog as a table or JSON.

use crate::cli::Format;
use crate::jumpstart::catalog::MODELS;
use crate::render;

use super::Outcome;

pub fn run(format: Format) -> Outcome {
    Outcome::printed(match format {
        Format::Json => render::json_value(&MODELS),
        Format::Human => render::catalog_table(),
    })
}
