//! The whole system's tests: notifications, video sessions, the browser
//! walk-through, the matcher and the all-in-one process, one test binary with a
//! module per area.

mod accounts;
mod all_in_one;
mod billing;
mod common;
mod ending;
mod matcher;
mod notifications;
mod reports;
mod sessions;
mod ui;
