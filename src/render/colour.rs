//! Colour for the human plan on a terminal: `+` lines green, `~` yellow, `-` red, as
//! Terraform shows them. Plain text whenever stdout is not a terminal or `NO_COLOR` is set.

use std::io::IsTerminal;

use crate::plan::Plan;

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// The human plan for stdout: coloured on a terminal unless `NO_COLOR` is set.
pub(crate) fn human_for_stdout(plan: &Plan, detail: super::Detail) -> String {
    let text = super::human_with(plan, detail);
    if crate::diagnostics::colour_wanted(std::io::stdout().is_terminal()) {
        coloured(&text)
    } else {
        text
    }
}

/// Each line whose first non-blank character is `+`, `~` or `-` (followed by a space) in its
/// colour; every other line as it is.
pub(crate) fn coloured(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        let colour = match body.split_once(' ').map(|(first, _)| first) {
            Some("+") => Some(GREEN),
            Some("~") => Some(YELLOW),
            Some("-") => Some(RED),
            _ => None,
        };
        match colour {
            Some(c) => {
                let (content, newline) = match line.strip_suffix('\n') {
                    Some(l) => (l, "\n"),
                    None => (line, ""),
                };
                out.push_str(c);
                out.push_str(content);
                out.push_str(RESET);
                out.push_str(newline);
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_get_their_colours_and_other_lines_stay_plain() {
        let text = "  # endpoint.e will be created\n  + endpoint \"e\"\n  ~ endpoint \"f\"\n  - model \"m\"\nPlan: 1 to add\n";
        assert_eq!(
            coloured(text),
            "  # endpoint.e will be created\n\x1b[32m  + endpoint \"e\"\x1b[0m\n\x1b[33m  ~ endpoint \"f\"\x1b[0m\n\x1b[31m  - model \"m\"\x1b[0m\nPlan: 1 to add\n"
        );
    }
}
