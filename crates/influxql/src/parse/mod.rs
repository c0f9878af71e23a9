//! From query text to statements: [`lexer`] (tokens with positions), [`ast`] (statements
//! and expressions), [`parser`] (recursive descent with InfluxDB's precedence and errors),
//! `select` and `show` (the grammars of `SELECT` and of the `SHOW` statements).

pub mod ast;
pub mod lexer;
pub mod parser;
#[cfg(test)]
mod parser_tests;
mod select;
mod show;
