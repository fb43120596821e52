//! The rules of the field, free of I/O: roster types, identity documents, masking.

pub mod idnum;
pub mod lengths;
pub mod mask;
pub mod name;
pub mod photo_spec;
pub mod planner;
pub mod roster;
pub mod search;
pub mod student;
pub mod text;

pub use idnum::{IdError, IdNumber};
pub use mask::{mask_id, mask_ids_in_path, mask_name};
pub use name::{NameError, normalize_name, validate_name};
pub use student::{IdType, Level, Student};
