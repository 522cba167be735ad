//! GFLOP/s of `hbt_kernels::linear` (x·W + b on burn-flex) at the shapes given as `M,K,N`
//! arguments: `cargo run --release --example linear_rate -- 2560,384,1536 2560,1536,384`.
//! Best of 10 timed calls after one warm-up, as the benchmarks' GEMM peak is measured.

use std::time::Instant;

use burn::backend::Flex;
use burn::tensor::{Distribution, Tensor};

fn main() {
    let device = Default::default();
    for shape in std::env::args().skip(1) {
        let dims: Vec<usize> = shape
            .split(',')
            .map(|d| d.parse().expect("M,K,N"))
            .collect();
        let [m, k, n] = dims[..] else {
            panic!("expected M,K,N, got {shape}")
        };
        let x = Tensor::<Flex, 2>::random([m, k], Distribution::Default, &device);
        let w = Tensor::<Flex, 2>::random([k, n], Distribution::Default, &device);
        let b = Tensor::<Flex, 1>::random([n], Distribution::Default, &device);
        let run = || hbt_kernels::linear(x.clone(), w.clone(), Some(b.clone())).into_data();
        run();
        let best = (0..10)
            .map(|_| {
                let started = Instant::now();
                run();
                started.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        let gflops = 2.0 * (m * k * n) as f64 / best / 1e9;
        println!("{m}x{k}x{n}: {gflops:.1} GFLOP/s");
    }
}
