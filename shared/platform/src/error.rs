//! A service's one error type, declared by [`service_error!`]: refusals that carry
//! their code and text, and failures inside (database, outbox, anything else),
//! which are logged once where they become an `internal` fault.

/// Declare a service's error enum:
///
/// ```ignore
/// mittler_platform::service_error! {
///     /// The availability service's errors.
///     pub enum AvailabilityError {
///         service: "availability",
///         not_found: "reservations.not_found",
///     }
/// }
/// ```
///
/// Variants: `NotFound` (answered with the `not_found` text), `Refused` (a
/// [`RpcFault`](mittler_contracts::RpcFault) with its own code), `Database`,
/// `Outbox` and `Internal`, with `From` for each cause so that `?` does the rest;
/// `code()` says what a caller sees, and `From<Error> for RpcFault` answers.
#[macro_export]
macro_rules! service_error {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        service: $service:literal,
        not_found: $not_found:literal $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, ::thiserror::Error)]
        $vis enum $name {
            /// Nothing of that id in the caller's reach.
            #[error("not found")]
            NotFound,
            /// Refused with a code of its own.
            #[error(transparent)]
            Refused(#[from] ::mittler_contracts::RpcFault),
            #[error("database: {0}")]
            Database(#[from] ::sqlx::Error),
            #[error("outbox: {0}")]
            Outbox(#[from] $crate::outbox::OutboxError),
            #[error(transparent)]
            Internal(#[from] ::anyhow::Error),
        }

        impl ::std::convert::From<::serde_json::Error> for $name {
            fn from(error: ::serde_json::Error) -> Self {
                Self::Internal(error.into())
            }
        }

        impl $name {
            /// The code a caller sees.
            pub fn code(&self) -> ::mittler_contracts::FaultCode {
                match self {
                    Self::NotFound => ::mittler_contracts::FaultCode::NotFound,
                    Self::Refused(fault) => fault.code,
                    Self::Database(_) | Self::Outbox(_) | Self::Internal(_) => {
                        ::mittler_contracts::FaultCode::Internal
                    }
                }
            }
        }

        impl ::std::convert::From<$name> for ::mittler_contracts::RpcFault {
            fn from(error: $name) -> Self {
                match error {
                    $name::NotFound => ::mittler_contracts::RpcFault::new(
                        ::mittler_contracts::FaultCode::NotFound,
                        ::mittler_contracts::text::Text::new($not_found),
                    ),
                    $name::Refused(fault) => fault,
                    failed => {
                        ::tracing::error!(
                            error = %format!("{:#}", ::anyhow::Error::from(failed)),
                            concat!($service, " request failed")
                        );
                        ::mittler_contracts::RpcFault::internal()
                    }
                }
            }
        }
    };
}
