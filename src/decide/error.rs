//! Why [`Engine::render`](crate::Engine::render) returned no slot: [`RenderError`].

use crate::error::ErrorCode;

/// Why [`Engine::render`](crate::Engine::render) returned no slot.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// The bundle has no slot by that name.
    UnknownSlot {
        /// The name asked for.
        slot: String,
        /// The bundle's slots, in bundle order.
        known: Vec<String>,
    },
}

impl RenderError {
    /// `E_SLOT` for an unknown slot.
    pub fn code(&self) -> ErrorCode {
        match self {
            RenderError::UnknownSlot { .. } => ErrorCode::Slot,
        }
    }
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::UnknownSlot { slot, known } => {
                // Written piece by piece: no joined String (this runs in the page module).
                write!(f, "no slot `{slot}`; the bundle has: ")?;
                let mut sep = "";
                for name in known {
                    f.write_str(sep)?;
                    f.write_str(name)?;
                    sep = ", ";
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RenderError {}
