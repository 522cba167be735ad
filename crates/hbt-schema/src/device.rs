//! Device names of `train.devices`: `cpu` for the CPU backends, `cuda:N` (or `cuda`, the first
//! GPU) for the CUDA backend.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::names::BackendKind;

/// One device a data-parallel run trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeviceName {
    /// The CPU (several `cpu` entries: several replicas sharing its cores).
    Cpu,
    /// The GPU of this index.
    Cuda(u16),
}

impl DeviceName {
    /// The backends that run on this device.
    pub fn fits(self, backend: BackendKind) -> bool {
        match self {
            DeviceName::Cpu => matches!(backend, BackendKind::Flex | BackendKind::NdArray),
            DeviceName::Cuda(_) => backend == BackendKind::Cuda,
        }
    }

    /// The device's index among the devices of its kind (0 for the CPU).
    pub fn index(self) -> u16 {
        match self {
            DeviceName::Cpu => 0,
            DeviceName::Cuda(index) => index,
        }
    }
}

/// A device name that is neither `cpu` nor `cuda[:N]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown device `{0}` (expected `cpu`, `cuda` or `cuda:N`)")]
pub struct UnknownDevice(pub String);

impl FromStr for DeviceName {
    type Err = UnknownDevice;

    fn from_str(s: &str) -> Result<Self, UnknownDevice> {
        match s.split_once(':') {
            None if s == "cpu" => Ok(DeviceName::Cpu),
            None if s == "cuda" => Ok(DeviceName::Cuda(0)),
            Some(("cuda", index)) if !index.starts_with('+') => index
                .parse()
                .map(DeviceName::Cuda)
                .map_err(|_| UnknownDevice(s.to_string())),
            _ => Err(UnknownDevice(s.to_string())),
        }
    }
}

impl TryFrom<String> for DeviceName {
    type Error = UnknownDevice;

    fn try_from(value: String) -> Result<Self, UnknownDevice> {
        value.parse()
    }
}

impl From<DeviceName> for String {
    fn from(device: DeviceName) -> String {
        device.to_string()
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceName::Cpu => f.write_str("cpu"),
            DeviceName::Cuda(index) => write!(f, "cuda:{index}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_print_and_refuse_what_they_should() {
        for (text, device) in [
            ("cpu", DeviceName::Cpu),
            ("cuda", DeviceName::Cuda(0)),
            ("cuda:3", DeviceName::Cuda(3)),
        ] {
            assert_eq!(text.parse::<DeviceName>().unwrap(), device);
        }
        assert_eq!(DeviceName::Cuda(3).to_string(), "cuda:3");
        for bad in [
            "gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:+1", "cpu:0", "CPU",
        ] {
            let error = bad.parse::<DeviceName>().unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("unknown device `{bad}` (expected `cpu`, `cuda` or `cuda:N`)")
            );
        }
        assert!(
            DeviceName::Cpu.fits(BackendKind::Flex) && !DeviceName::Cpu.fits(BackendKind::Cuda)
        );
        assert!(DeviceName::Cuda(1).fits(BackendKind::Cuda));
    }
}
