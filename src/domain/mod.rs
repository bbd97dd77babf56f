//! The Directory Integration (DI) seat rules of SPEC.md section 3, as pure functions over values.
//!
//! What domain owns: which seat a user should hold and why. That is the seat types and plan settings
//! ([`seats`]), the role table and how role values and group names turn into a target seat
//! ([`roles`]), and every transition of a user's seat or status: SCIM update calls, deprovisioning,
//! reactivation, manual seat changes by an admin, system events (qualifying action, sign-in, review
//! expiry), the DI-enable preview, reconcile and explain ([`rules`]). Each transition returns the new
//! state plus at most one [`rules::Change`] carrying a reason code and a sentence for a person, so the
//! caller writes exactly one audit event per change of seat or status.
//!
//! A word on "plan": Smartsheet's *plan* is the customer's subscription with its settings (`seats`
//! holds those settings); the rules that change a user's seat within it are [`rules`], not "plan";
//! `store::settings` is where they are stored.
//!
//! What domain does not own: storage (SQL lives in `store`), protocol (SCIM JSON, roles in their many
//! carrier shapes and PATCH dialects live in `scim`), transport, the clock and identifiers. Time comes
//! in as unix seconds, users are named by whatever key the caller uses, and refusals are small values
//! ([`rules::Refusal`], [`seats::SettingError`], [`roles::RoleTableError`]) that `service` maps onto
//! `crate::error::Error`. This module depends on nothing but std and `crate::base` (the pure,
//! std-only leaf with the calendar and the text rules).
//!
//! The rules in plain language, with the decisions taken where the vendor documents are silent, are
//! in the README's "Seat rules" section.

/// Declares a closed set of values that travel as text (settings, rights): the enum, `as_str`, a
/// case-insensitive `parse`, `ALL` and `allowed()` for error messages, and `Display`.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in the order of the declaration.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as text, as stored and as shown in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the text form, ignoring ASCII case and surrounding whitespace.
            pub fn parse(text: &str) -> Option<$name> {
                let text = text.trim();
                $name::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(text))
            }

            /// The allowed values, for error messages: `a, b, c`.
            pub fn allowed() -> String {
                $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            /// [`Self::parse`], with an error that names the value and the allowed ones.
            fn from_str(text: &str) -> Result<$name, String> {
                $name::parse(text).ok_or_else(|| format!("{text:?} is not known; allowed: {}", $name::allowed()))
            }
        }
    };
}

pub mod roles;
pub mod rules;
pub mod seats;
