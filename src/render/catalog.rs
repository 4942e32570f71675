//! `sagetune models`: the embedded catalog of domain-adaptation models as a table.

use std::fmt::Write;

use crate::jumpstart::catalog::MODELS;

/// The catalog as an aligned table, with a closing note on gating and instance defaults.
pub(crate) fn catalog_table() -> String {
    let header = [
        "MODEL ID", "NAME", "GATED", "CHANNEL", "TRAINING", "HOSTING",
    ];
    let rows: Vec<[String; 6]> = MODELS
        .iter()
        .map(|m| {
            [
                m.id.to_string(),
                m.name.to_string(),
                if m.gated { "yes" } else { "no" }.to_string(),
                m.training_channel.to_string(),
                m.default_training_instance.to_string(),
                m.default_inference_instance.to_string(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut l = String::new();
        for (cell, w) in cells.iter().zip(&widths) {
            let _ = write!(l, "{cell:<w$}  ");
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in &rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out.push_str(
        "\nGated models need `accept_eula: true`. Instance types are the usual defaults; the model spec read at plan time wins.\n",
    );
    out
}
