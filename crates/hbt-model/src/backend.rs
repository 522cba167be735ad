//! Compute backends. burn-flex is the default CPU backend (faster); burn-ndarray is the CPU
//! backend named in the design card (deprecated upstream in burn 0.22); burn-cuda is compiled
//! in with the `cuda` cargo feature.

use std::fmt;
use std::str::FromStr;

/// The default CPU backend (burn-flex, f32).
pub type FlexBackend = burn::backend::Flex;
/// The ndarray CPU backend (f32).
pub type NdArrayBackend = burn::backend::NdArray;
/// The CUDA backend (f32), with the `cuda` feature.
#[cfg(feature = "cuda")]
pub type CudaBackend = burn::backend::Cuda;

/// A backend named in an experiment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// burn-flex on the CPU.
    Flex,
    /// burn-ndarray on the CPU.
    NdArray,
    /// burn-cuda on an NVIDIA GPU.
    Cuda,
}

impl BackendKind {
    /// The name used in experiment files and as the cargo feature.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::NdArray => "ndarray",
            BackendKind::Cuda => "cuda",
        }
    }

    /// Whether this binary was built with the backend.
    pub fn is_compiled(self) -> bool {
        match self {
            BackendKind::Flex | BackendKind::NdArray => true,
            BackendKind::Cuda => cfg!(feature = "cuda"),
        }
    }
}

impl FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "flex" => Ok(BackendKind::Flex),
            "ndarray" => Ok(BackendKind::NdArray),
            "cuda" => Ok(BackendKind::Cuda),
            other => Err(format!(
                "unknown backend `{other}` (expected flex, ndarray or cuda)"
            )),
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether the backend called `name` is known and compiled into this binary.
pub fn is_compiled(name: &str) -> bool {
    name.parse::<BackendKind>()
        .is_ok_and(BackendKind::is_compiled)
}

#[cfg(test)]
mod tests {
    use burn::tensor::{backend::Backend, Tensor};

    use super::*;

    /// A 2×3 by 3×2 product, computed by hand: [[58, 64], [139, 154]].
    fn matmul_on<B: Backend>() -> Vec<f32> {
        let device = B::Device::default();
        let a = Tensor::<B, 2>::from_floats([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], &device);
        let b = Tensor::<B, 2>::from_floats([[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]], &device);
        a.matmul(b).into_data().to_vec::<f32>().unwrap()
    }

    #[test]
    fn cpu_backends_compute_the_same_product() {
        assert_eq!(matmul_on::<FlexBackend>(), vec![58.0, 64.0, 139.0, 154.0]);
        assert_eq!(
            matmul_on::<NdArrayBackend>(),
            vec![58.0, 64.0, 139.0, 154.0]
        );
    }

    #[test]
    fn names_parse_and_report_compilation() {
        assert!(is_compiled("flex") && is_compiled("ndarray"));
        assert_eq!(is_compiled("cuda"), cfg!(feature = "cuda"));
        assert!(!is_compiled("tpu"));
        assert_eq!(
            "ndarray".parse::<BackendKind>().unwrap().to_string(),
            "ndarray"
        );
    }
}
