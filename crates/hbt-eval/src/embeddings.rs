//! Host-side embedding matrices: row-major `f32`, one row per text.

use burn::tensor::{backend::Backend, Tensor};

use crate::error::{EvalError, Result};
use hbt_model::l2_normalize_row;

/// A row-major matrix of embeddings, `rows × dim`, on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    rows: usize,
    dim: usize,
    data: Vec<f32>,
}

impl Embeddings {
    /// Wraps row-major `data` of `rows × dim` values; an error when the length does not match
    /// or `dim` is 0.
    pub fn new(data: Vec<f32>, rows: usize, dim: usize) -> Result<Embeddings> {
        if dim == 0 {
            return Err(EvalError::Shape(
                "embeddings need a dimension of at least 1".into(),
            ));
        }
        if rows.checked_mul(dim) != Some(data.len()) {
            return Err(EvalError::Shape(format!(
                "embeddings of {rows} rows × {dim} dimensions need {} values, got {}",
                rows.saturating_mul(dim),
                data.len()
            )));
        }
        Ok(Embeddings { rows, dim, data })
    }

    /// An empty matrix (0 rows) of width `dim`.
    pub fn empty(dim: usize) -> Embeddings {
        Embeddings {
            rows: 0,
            dim,
            data: Vec::new(),
        }
    }

    /// Reads a `[rows, dim]` tensor back to the host (converted to `f32`).
    pub fn from_tensor<B: Backend>(tensor: Tensor<B, 2>) -> Result<Embeddings> {
        let [rows, dim] = tensor.dims();
        let data = tensor
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .map_err(|e| EvalError::Backend(format!("reading embeddings back: {e:?}")))?;
        Embeddings::new(data, rows, dim)
    }

    /// Stacks matrices of one width, in order (e.g. the batches an encoder produced).
    pub fn concat<'a>(parts: impl IntoIterator<Item = &'a Embeddings>) -> Result<Embeddings> {
        let mut out: Option<Embeddings> = None;
        for part in parts {
            match &mut out {
                None => out = Some(part.clone()),
                Some(acc) => {
                    if acc.dim != part.dim {
                        return Err(EvalError::Shape(format!(
                            "cannot stack embeddings of {} and {} dimensions",
                            acc.dim, part.dim
                        )));
                    }
                    acc.rows += part.rows;
                    acc.data.extend_from_slice(&part.data);
                }
            }
        }
        out.ok_or_else(|| EvalError::Shape("no embeddings to stack".into()))
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Width of a row.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row `i` (panics when out of range, like slice indexing).
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// A copy with every row scaled to unit L2 norm (zero rows stay zero), for cosine scores.
    pub fn normalized(&self) -> Embeddings {
        let mut data = self.data.clone();
        data.chunks_mut(self.dim.max(1)).for_each(l2_normalize_row);
        Embeddings { data, ..*self }
    }

    /// The transpose, `dim × rows`, row-major.
    pub(crate) fn transposed(&self) -> Vec<f32> {
        let mut out = vec![0.0; self.data.len()];
        for (r, row) in self.data.chunks(self.dim.max(1)).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                out[c * self.rows + r] = v;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_checked_and_rows_stack() {
        assert!(Embeddings::new(vec![1.0; 5], 2, 3).is_err());
        assert!(Embeddings::new(vec![], 0, 0).is_err());
        let a = Embeddings::new(vec![1.0, 2.0, 3.0, 4.0], 2, 2).unwrap();
        let b = Embeddings::new(vec![5.0, 6.0], 1, 2).unwrap();
        let c = Embeddings::concat([&a, &b]).unwrap();
        assert_eq!((c.rows(), c.dim()), (3, 2));
        assert_eq!(c.row(2), &[5.0, 6.0]);
        assert_eq!(a.transposed(), vec![1.0, 3.0, 2.0, 4.0]);
        let wide = Embeddings::new(vec![1.0; 3], 1, 3).unwrap();
        let err = Embeddings::concat([&a, &wide]).unwrap_err().to_string();
        assert!(err.contains("2 and 3 dimensions"), "{err}");
        let n = Embeddings::new(vec![3.0, 4.0, 0.0, 0.0], 2, 2)
            .unwrap()
            .normalized();
        assert_eq!(n.as_slice(), &[0.6, 0.8, 0.0, 0.0]);
    }

    #[test]
    fn tensors_come_back_to_the_host() {
        let device = Default::default();
        let t = Tensor::<burn::backend::Flex, 2>::from_floats([[1.0, 2.0], [3.0, 4.0]], &device);
        let e = Embeddings::from_tensor(t).unwrap();
        assert_eq!((e.rows(), e.dim()), (2, 2));
        assert_eq!(e.as_slice(), &[1.0, 2.0, 3.0, 4.0]);
    }
}
