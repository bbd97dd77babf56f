//! The lowest layer: pure helpers in std only, which every other module may use (`domain`
//! included) and which import nothing of the crate.

pub mod calendar;
pub mod csv;
pub mod text;
