//! From query text to statements: [`lexer`] (tokens with positions), [`ast`] (statements
//! and expressions), [`parser`] (recursive descent with InfluxDB's precedence and errors).

pub mod ast;
pub mod lexer;
pub mod parser;
