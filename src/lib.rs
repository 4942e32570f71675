//! sagetune: plan/apply for domain-adaptation fine-tuning on SageMaker JumpStart.
//!
//! The crate reads as the pipeline it implements, each module importing only from those
//! before it (`tests/it/architecture.rs` holds it to that): `data` (dataset discovery,
//! streaming checks and hashing), `jumpstart` (catalog, specs, request builders), `manifest`
//! (YAML with spans and semantic checks), `prepare` (validated, resolved, bound), `desired`
//! (every AWS object wanted, named and tagged), `observe` (what AWS holds) and `inference`
//! (prompting a deployed model), `plan` (the pure planner and the plan document) and
//! `permissions` (the IAM policy the commands need), `apply` (the executor and the state
//! lock), `stages` (one function per command composing those), `render` (everything printed)
//! and `commands` (the CLI glue). Beside the pipeline, usable from every stage: `cloud` (the
//! only door to AWS, with its own vocabulary of requests and answers), `diagnostics`
//! (problems as data, rendered in one place), `escape` (the one rule for outside text in
//! human output), `files` and `model_archive` (local file helpers), `prices` (the dated price
//! table) and `cli` (the argument types).

#![warn(unreachable_pub)]

pub mod apply;
pub mod cli;
pub mod cloud;
pub mod commands;
pub(crate) mod data;
pub mod desired;
pub mod diagnostics;
pub(crate) mod escape;
pub(crate) mod files;
pub(crate) mod inference;
pub mod jumpstart;
pub mod manifest;
pub mod model_archive;
pub mod observe;
pub(crate) mod permissions;
pub mod plan;
pub mod prepare;
pub(crate) mod prices;
pub mod render;
pub mod stages;
