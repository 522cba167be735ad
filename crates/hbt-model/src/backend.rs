//! Compute backends. burn-flex is the default CPU backend (faster); burn-ndarray is the CPU
//! backend named in the design card (deprecated upstream in burn 0.22); burn-cuda is compiled
//! in with the `cuda` cargo feature.

/// The default CPU backend (burn-flex, f32).
pub type FlexBackend = burn::backend::Flex;
/// The ndarray CPU backend (f32).
pub type NdArrayBackend = burn::backend::NdArray;
/// The CUDA backend (f32), with the `cuda` feature.
#[cfg(feature = "cuda")]
pub type CudaBackend = burn::backend::Cuda;

pub use hbt_schema::BackendKind;

/// Whether this binary was built with `backend` (cuda needs the `cuda` cargo feature).
pub fn is_compiled(backend: BackendKind) -> bool {
    match backend {
        BackendKind::Flex | BackendKind::NdArray => true,
        BackendKind::Cuda => cfg!(feature = "cuda"),
    }
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
        assert!(is_compiled(BackendKind::Flex) && is_compiled(BackendKind::NdArray));
        assert_eq!(is_compiled(BackendKind::Cuda), cfg!(feature = "cuda"));
        assert!("tpu".parse::<BackendKind>().is_err());
        assert_eq!(
            "ndarray".parse::<BackendKind>().unwrap().to_string(),
            "ndarray"
        );
    }
}
