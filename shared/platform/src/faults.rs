//! Points where tests make the relay or a consumer stop as a crash would (only with
//! the `fault-injection` feature, which only the test kit turns on).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultPoint {
    /// The relay has published a batch but not yet marked it sent.
    RelayAfterPublish,
    /// A consumer has committed its effect but not yet acked the message.
    ConsumerAfterCommit,
}

/// Armed faults, shared between a test and the component it controls.
#[derive(Clone, Debug, Default)]
pub struct Faults(Arc<Mutex<HashMap<FaultPoint, u32>>>);

impl Faults {
    /// Make the next `times` passes through `point` fail.
    pub fn arm(&self, point: FaultPoint, times: u32) {
        self.0.lock().expect("faults lock").insert(point, times);
    }

    /// Whether this pass through `point` fails; consumes one armed failure.
    pub fn trip(&self, point: FaultPoint) -> bool {
        let mut armed = self.0.lock().expect("faults lock");
        match armed.get_mut(&point) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}
