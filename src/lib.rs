//! sagetune: plan/apply for domain-adaptation fine-tuning on SageMaker JumpStart.
//!
//! The crate reads as the pipeline it implements: `manifest` (YAML with spans and semantic
//! checks) and `data` (dataset discovery, streaming checks and hashing) feed the commands;
//! `diagnostics` is the single place where problems are described and rendered.

pub mod apply;
pub mod cli;
pub mod cloud;
pub mod commands;
pub mod data;
pub mod desired;
pub mod diagnostics;
pub mod files;
pub mod jumpstart;
pub mod manifest;
pub mod observe;
pub mod plan;
pub mod render;
pub mod resolution;
