//! JumpStart knowledge: the embedded catalog of domain-adaptation models. Offline only.

pub mod catalog;
