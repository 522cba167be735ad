//! Running code generic over the burn backend on the backend a setting names.

/// `on_backend!(kind, f(args...))` calls `f::<B>(args...)` with the inference backend `kind`
/// names (`flex`, `ndarray`, and `cuda` when compiled in). Call
/// [`crate::experiment::check_backend`] first: an uncompiled `cuda` is unreachable here.
macro_rules! on_backend {
    ($kind:expr, $f:ident ( $($arg:expr),* $(,)? )) => {
        match $kind {
            hbt_schema::BackendKind::Flex => $f::<hbt_model::backend::FlexBackend>($($arg),*),
            hbt_schema::BackendKind::NdArray => {
                $f::<hbt_model::backend::NdArrayBackend>($($arg),*)
            }
            #[cfg(feature = "cuda")]
            hbt_schema::BackendKind::Cuda => $f::<hbt_model::backend::CudaBackend>($($arg),*),
            #[cfg(not(feature = "cuda"))]
            hbt_schema::BackendKind::Cuda => unreachable!("checked by check_backend"),
        }
    };
}

pub(crate) use on_backend;
