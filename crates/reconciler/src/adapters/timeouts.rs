//! Every AWS call's timeouts, for the SDK clients (`sdk`) and the hand-signed EC2
//! calls (`ec2`) alike.

use std::time::Duration;

/// Connecting to an AWS endpoint: in-region TLS handshakes take milliseconds.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Waiting for the first byte of an answer (and between bytes).
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// One attempt of an operation, answer read in full.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// An operation, all its retries included: under half the function's timeout, so a
/// hung call leaves time for the others (and the run's budget cuts off the rest).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(12);
