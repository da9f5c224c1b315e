//! The rule language: its authored form ([`ast`]) and the compiler to a [`crate::program::Program`].

pub mod ast;
pub mod compile;
pub mod text;
