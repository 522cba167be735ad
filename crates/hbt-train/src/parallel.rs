//! Data-parallel training on burn-collective: one replica of the model per device, each global
//! batch split into contiguous shards (one per peer), the parameter gradients summed across
//! peers by burn-collective's all-reduce every step, so every replica applies the same update.
//!
//! A session runs one thread per local device (burn-collective's local level); several
//! processes or machines join through its global orchestrator (see [`Nodes`]). Only the lead
//! peer (peer 0) measures the dev split, writes checkpoints and reports progress; the others
//! only train.
//!
//! burn-collective keeps one session per backend per process, so sessions do not overlap:
//! [`run_peers`] holds a process-wide lock while its peers run.

use std::ops::Range;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

use burn::module::{AutodiffModule, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorPrimitive};
use burn_collective::{CollectiveConfig, PeerId, ReduceOperation};

use crate::error::{Result, TrainError};

/// One process or machine of a multi-node session, joined through burn-collective's global
/// orchestrator (node 0 starts it at `coordinator`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nodes {
    /// This node's rank, from 0.
    pub rank: usize,
    /// Nodes in the session.
    pub count: usize,
    /// `HOST:PORT` of the global orchestrator.
    pub coordinator: String,
    /// `HOST:PORT` where this node serves its tensors to the others.
    pub node_address: String,
    /// How long a peer waits for the others at one exchange before it gives the session up
    /// (a node that stopped never answers). It must exceed node 0's dev measurement and
    /// checkpoint writing, during which the other nodes wait.
    pub timeout: Duration,
}

/// One peer of a data-parallel session: which rows of each global batch it owns and how it
/// exchanges tensors with the other peers. A lone peer ([`Peer::solo`]) exchanges nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// This peer's index among all peers of all nodes.
    pub index: usize,
    /// Peers in the session.
    pub count: usize,
    /// Peers on each node (the devices of one process).
    pub per_node: usize,
    /// How long an exchange may wait for the other peers (`None`: as long as it takes; peers
    /// of one process end their session themselves when one fails, see [`run_peers`]).
    pub timeout: Option<Duration>,
}

impl Peer {
    /// The only peer of a one-device run.
    pub fn solo() -> Peer {
        Peer {
            index: 0,
            count: 1,
            per_node: 1,
            timeout: None,
        }
    }

    /// Whether this is the only peer.
    pub fn is_solo(&self) -> bool {
        self.count == 1
    }

    /// Whether this peer measures the dev split, selects the best checkpoint and reports
    /// progress.
    pub fn leads(&self) -> bool {
        self.index == 0
    }

    /// Whether this peer writes its node's checkpoints (the first peer of each node: every
    /// node keeps its own, so a session resumes without copying node 0's files).
    pub fn keeps_checkpoints(&self) -> bool {
        self.index.is_multiple_of(self.per_node)
    }

    /// The values of every peer in peer order (one number each).
    ///
    /// # Errors
    /// [`TrainError::Collective`] or [`TrainError::PeerTimeout`] when a peer left the session.
    pub fn all_values<B: Backend>(&self, value: f64, device: &B::Device) -> Result<Vec<f64>> {
        let own = Tensor::<B, 2>::from_data([[value as f32]], device);
        let all = self.gather(own, self.index..self.index + 1, self.count)?;
        let values = all
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .map_err(|e| TrainError::Collective(format!("{e:?}")))?;
        Ok(values.into_iter().map(f64::from).collect())
    }

    /// The contiguous rows of a batch of `n` this peer owns: whole chunks of `chunk` rows
    /// when there are at least as many chunks as peers (so a chunked pass, and the dropout
    /// seeds of its chunks, are those of one device on the whole batch), else `n` split evenly
    /// (shards differ by at most one row; `chunk` 1 always splits evenly).
    pub fn rows(&self, n: usize, chunk: usize) -> Range<usize> {
        let chunks = n.div_ceil(chunk.max(1));
        if chunk > 1 && chunks >= self.count {
            let first = self.index * chunks / self.count;
            let end = (self.index + 1) * chunks / self.count;
            first * chunk..(end * chunk).min(n)
        } else {
            self.index * n / self.count..(self.index + 1) * n / self.count
        }
    }

    /// The element-wise sum of `tensor` over all peers.
    ///
    /// # Errors
    /// [`TrainError::Collective`] when a peer left the session, [`TrainError::PeerTimeout`]
    /// when the others did not answer within the peer's timeout.
    pub fn sum<B: Backend, const D: usize>(&self, tensor: Tensor<B, D>) -> Result<Tensor<B, D>> {
        if self.is_solo() {
            return Ok(tensor);
        }
        let id = self.id();
        let tensor = tensor.into_primitive().tensor();
        let summed = match self.timeout {
            None => burn_collective::all_reduce::<B>(id, tensor, ReduceOperation::Sum)
                .map_err(collective_error)?,
            Some(limit) => {
                // burn-collective's all-reduce cannot be cancelled and waits for ever on a node
                // that stopped: it runs on a thread of its own, and this peer stops waiting for
                // it after `limit` (the thread is left behind; the process ends with the error).
                let (send, receive) = mpsc::channel();
                std::thread::Builder::new()
                    .name("hbt-exchange".into())
                    .spawn(move || {
                        let _ = send.send(burn_collective::all_reduce::<B>(
                            id,
                            tensor,
                            ReduceOperation::Sum,
                        ));
                    })
                    .map_err(|e| TrainError::Collective(format!("exchange thread: {e}")))?;
                match receive.recv_timeout(limit) {
                    Ok(summed) => summed.map_err(collective_error)?,
                    Err(RecvTimeoutError::Timeout) => {
                        return Err(TrainError::PeerTimeout(limit.as_secs_f64()))
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        let cause = runtime_panic().unwrap_or_else(|| "a panic".into());
                        return Err(TrainError::Collective(format!(
                            "a node's connection failed ({cause})"
                        )));
                    }
                }
            }
        };
        Ok(Tensor::from_primitive(TensorPrimitive::Float(summed)))
    }

    /// The rows of every peer stacked in peer order (`[n, d]`): each peer places its own
    /// rows (`local`, rows `rows` of the batch) and the sum over peers fills the rest.
    ///
    /// # Errors
    /// [`TrainError::Collective`] when a peer left the session.
    pub fn gather<B: Backend>(
        &self,
        local: Tensor<B, 2>,
        rows: Range<usize>,
        n: usize,
    ) -> Result<Tensor<B, 2>> {
        if self.is_solo() {
            return Ok(local);
        }
        let [_, width] = local.dims();
        let placed = Tensor::<B, 2>::zeros([n, width], &local.device())
            .slice_assign([rows, 0..width], local);
        self.sum(placed)
    }

    /// `grads` of `module`'s parameters summed over all peers. Parameters are visited in the
    /// module's own order, which every replica shares (parameter ids are random per process).
    ///
    /// # Errors
    /// [`TrainError::Collective`] when a peer left the session.
    pub fn sum_gradients<B: AutodiffBackend, M: AutodiffModule<B>>(
        &self,
        module: &M,
        mut grads: GradientsParams,
    ) -> Result<GradientsParams> {
        if self.is_solo() {
            return Ok(grads);
        }
        let mut ids = ParamOrder(Vec::new());
        module.visit(&mut ids);
        let mut summed = GradientsParams::new();
        for (id, rank) in ids.0 {
            macro_rules! sum_rank {
                ($d:literal) => {
                    if let Some(grad) = grads.remove::<B::InnerBackend, $d>(id) {
                        summed.register::<B::InnerBackend, $d>(id, self.sum(grad)?);
                    }
                };
            }
            match rank {
                1 => sum_rank!(1),
                2 => sum_rank!(2),
                3 => sum_rank!(3),
                4 => sum_rank!(4),
                _ => return Err(TrainError::Collective(format!("parameter of rank {rank}"))),
            }
        }
        Ok(summed)
    }

    fn id(&self) -> PeerId {
        PeerId(self.index as u32)
    }
}

/// A replica of `module` on `device` for one peer: the same parameter ids and values, but
/// parameter tensors of its own in the autodiff graph. Clones share their parameters' graph
/// nodes, and burn joins graphs that share nodes, so replicas made by cloning would free or
/// traverse each other's graphs when they run at the same time.
pub fn replica<B: AutodiffBackend, M: AutodiffModule<B>>(module: &M, device: &B::Device) -> M {
    module.clone().fork(device).map(&mut OwnLeaves)
}

/// Replaces each float parameter by a new leaf with the same value and id.
struct OwnLeaves;

impl<B: AutodiffBackend> ModuleMapper<B> for OwnLeaves {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, tensor, mapper) = param.consume();
        let require_grad = tensor.is_require_grad();
        let mut leaf = Tensor::<B, D>::from_inner(tensor.inner());
        if require_grad {
            leaf = leaf.require_grad();
        }
        Param::from_mapped_value(id, leaf, mapper)
    }
}

/// The ids and ranks of a module's float parameters, in visiting order.
struct ParamOrder(Vec<(ParamId, usize)>);

impl<B: Backend> ModuleVisitor<B> for ParamOrder {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.0.push((param.id, D));
    }
}

fn collective_error(error: burn_collective::CollectiveError) -> TrainError {
    match runtime_panic() {
        Some(cause) => TrainError::Collective(format!("a node's connection failed ({cause})")),
        None => TrainError::Collective(format!("{error:?}")),
    }
}

/// The first panic message of burn-collective's runtime threads in this session, if any.
fn runtime_panic() -> Option<String> {
    RUNTIME_PANIC
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// The first panic of burn-collective's runtime threads during a session: a node that stops
/// makes its peers' connections panic there (burn-communication reports a closed socket by
/// panicking), and the session's error names it instead of the panic being printed.
static RUNTIME_PANIC: Mutex<Option<String>> = Mutex::new(None);

thread_local! {
    /// Set while this thread resets a session whose runtime may have stopped.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// While alive, panics of burn-collective's runtime threads (and of a reset on a stopped
/// runtime) are recorded in [`RUNTIME_PANIC`] instead of printed; other panics go to the
/// previous hook, which is restored on drop.
struct QuietRuntimePanics {
    previous: std::sync::Arc<PanicHook>,
}

impl QuietRuntimePanics {
    fn install() -> QuietRuntimePanics {
        *RUNTIME_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let previous = std::sync::Arc::new(std::panic::take_hook());
        let fallback = previous.clone();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            let runtime = matches!(thread.name(), Some("tokio-rt-worker" | "hbt-exchange"));
            if runtime || QUIET.get() {
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                RUNTIME_PANIC
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert(message);
            } else {
                fallback(info)
            }
        }));
        QuietRuntimePanics { previous }
    }
}

impl Drop for QuietRuntimePanics {
    fn drop(&mut self) {
        let previous = self.previous.clone();
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Resets burn-collective's session of backend `B`; a runtime that stopped (its server
/// panicked) cannot be reset and is left as it is.
fn reset_session<B: Backend>() {
    QUIET.set(true);
    let _ = std::panic::catch_unwind(burn_collective::reset_collective::<B>);
    QUIET.set(false);
}

/// burn-collective keeps one session per backend per process.
static SESSION: Mutex<()> = Mutex::new(());

/// burn's backends draw random numbers (dropout masks) from one process-wide source, and
/// autodiff may recompute forward operations during a backward pass: peers of one process
/// seed, embed and back-propagate under this lock, so each peer's masks depend only on its
/// seeds (found by the dropout test of `tests/data_parallel.rs`, which failed about one run in
/// three with only the forward passes locked). The peers of a process take turns for those
/// passes; on a CPU they share the same cores anyway.
static RANDOM_SOURCE: Mutex<()> = Mutex::new(());

/// Runs `f` under the lock of the process-wide random source (see the module documentation).
pub fn with_random_source<T>(f: impl FnOnce() -> T) -> T {
    let _guard = RANDOM_SOURCE.lock().unwrap_or_else(|e| e.into_inner());
    f()
}

/// Runs one peer per device of `devices` (on this node; `nodes` joins other nodes), each
/// calling `peer_fn(peer, device)` on a thread of its own, this node's first peer on the
/// calling thread (so the lead peer may report progress through non-`Send` callbacks).
/// Returns the lead peer's result on node 0 and `None` on the other nodes. A peer that fails
/// ends the session, so the others return instead of waiting for it; the first error that is
/// not a consequence of another peer's is returned.
///
/// # Errors
/// The failing peer's error, or [`TrainError::Collective`] when the session cannot start.
pub fn run_peers<B, T, L, F>(
    devices: &[B::Device],
    nodes: Option<&Nodes>,
    lead: L,
    peer_fn: F,
) -> Result<Option<T>>
where
    B: AutodiffBackend,
    L: FnOnce(Peer, &B::Device) -> Result<T>,
    F: Fn(Peer, &B::Device) -> Result<()> + Sync,
{
    if devices.is_empty() {
        return Err(TrainError::BadSetting {
            key: "devices",
            message: "no device given".into(),
        });
    }
    let (node_rank, node_count) = nodes.map_or((0, 1), |n| (n.rank, n.count));
    let count = devices.len() * node_count;
    let first = node_rank * devices.len();
    if count == 1 {
        return lead(Peer::solo(), &devices[0]).map(Some);
    }
    let _session = SESSION.lock().unwrap_or_else(|e| e.into_inner());
    let _quiet = QuietRuntimePanics::install();
    reset_session::<B::InnerBackend>();
    let config = collective_config(devices.len(), nodes)?;
    let timeout = nodes.map(|n| n.timeout);
    let enter = |index: usize, device: &B::Device| -> Result<Peer> {
        let peer = Peer {
            index,
            count,
            per_node: devices.len(),
            timeout,
        };
        burn_collective::register::<B::InnerBackend>(peer.id(), device.clone(), config.clone())
            .map_err(collective_error)?;
        Ok(peer)
    };
    // A failing peer resets the session: the others' pending exchanges then fail at once.
    let leave = |peer: Option<Peer>, outcome: &Result<()>| match (peer, outcome) {
        (Some(peer), Ok(())) => burn_collective::finish_collective::<B::InnerBackend>(peer.id())
            .map_err(collective_error),
        _ => {
            reset_session::<B::InnerBackend>();
            Ok(())
        }
    };
    let (lead_result, others) = std::thread::scope(|scope| {
        let handles: Vec<_> = devices
            .iter()
            .enumerate()
            .skip(1)
            .map(|(local, device)| {
                let (enter, leave, peer_fn) = (&enter, &leave, &peer_fn);
                scope.spawn(move || {
                    let peer = enter(first + local, device);
                    let outcome = peer.clone().and_then(|peer| peer_fn(peer, device));
                    leave(peer.ok(), &outcome).and(outcome)
                })
            })
            .collect();
        let lead_result = enter(first, &devices[0]).and_then(|peer| {
            let result = if peer.leads() {
                lead(peer, &devices[0]).map(Some)
            } else {
                // A node other than the first: its first device is an ordinary peer.
                peer_fn(peer, &devices[0]).map(|()| None)
            };
            let outcome = result.as_ref().map(|_| ()).map_err(Clone::clone);
            leave(Some(peer), &outcome).and(result)
        });
        let others: Vec<Result<()>> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(TrainError::Collective("a peer panicked".into())))
            })
            .collect();
        (lead_result, others)
    });
    let mut errors: Vec<TrainError> = others.into_iter().filter_map(|r| r.err()).collect();
    match lead_result {
        Ok(value) if errors.is_empty() => Ok(value),
        Ok(_) => Err(first_cause(errors)),
        Err(error) => {
            errors.insert(0, error);
            Err(first_cause(errors))
        }
    }
}

/// The first error that is not a peer's reaction to another peer leaving the session.
fn first_cause(errors: Vec<TrainError>) -> TrainError {
    match errors.iter().position(|e| !e.is_session_echo()) {
        Some(i) => errors[i].clone(),
        None => errors
            .into_iter()
            .next()
            .unwrap_or_else(|| TrainError::Collective("the session failed".into())),
    }
}

/// Serves burn-collective's global orchestrator on `port` of every interface, on a thread of
/// its own for the rest of the process (node 0 of a multi-node run calls it).
///
/// # Errors
/// [`TrainError::Collective`] when its runtime cannot start.
pub fn serve_coordinator(port: u16) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| TrainError::Collective(format!("coordinator runtime: {e}")))?;
    std::thread::Builder::new()
        .name("hbt-coordinator".into())
        .spawn(move || runtime.block_on(burn_collective::start_global_orchestrator(port)))
        .map_err(|e| TrainError::Collective(format!("coordinator thread: {e}")))?;
    Ok(())
}

/// The port of a `HOST:PORT` address; the error names `key`.
pub fn address_port(key: &'static str, address: &str) -> Result<u16> {
    address
        .rsplit_once(':')
        .and_then(|(host, port)| (!host.is_empty()).then_some(port))
        .and_then(|port| port.parse::<u16>().ok())
        .ok_or_else(|| TrainError::BadSetting {
            key,
            message: format!("`{address}` is not HOST:PORT"),
        })
}

fn collective_config(local_devices: usize, nodes: Option<&Nodes>) -> Result<CollectiveConfig> {
    let config = CollectiveConfig::default().with_num_devices(local_devices);
    let Some(nodes) = nodes else {
        return Ok(config);
    };
    // burn-communication's servers log every connection and download at INFO level through a
    // subscriber of their own unless the process has one: give it one that records nothing.
    let _ = tracing::subscriber::set_global_default(tracing::subscriber::NoSubscriber::default());
    let address = |key: &'static str, value: &str| {
        format!("ws://{value}")
            .parse()
            .map_err(|_| TrainError::BadSetting {
                key,
                message: format!("`{value}` is not HOST:PORT"),
            })
    };
    let port = address_port("node_address", &nodes.node_address)?;
    Ok(config
        .with_num_nodes(nodes.count as u32)
        .with_global_address(address("coordinator", &nodes.coordinator)?)
        .with_node_address(address("node_address", &nodes.node_address)?)
        .with_data_service_port(port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(index: usize, count: usize) -> Peer {
        Peer {
            index,
            count,
            per_node: count,
            timeout: None,
        }
    }

    #[test]
    fn shards_follow_whole_chunks_when_every_peer_gets_one() {
        let rows = |count, n, chunk| -> Vec<_> {
            (0..count)
                .map(|index| peer(index, count).rows(n, chunk))
                .collect()
        };
        assert_eq!(rows(2, 18, 16), [0..16, 16..18]);
        assert_eq!(rows(2, 32, 16), [0..16, 16..32]);
        assert_eq!(rows(3, 40, 8), [0..8, 8..24, 24..40]);
        // Fewer chunks than peers: an even split.
        assert_eq!(rows(3, 18, 16), [0..6, 6..12, 12..18]);
    }

    #[test]
    fn shards_cover_the_batch_in_order_and_differ_by_at_most_one() {
        for n in [2usize, 7, 32, 33] {
            for count in 1..=4usize.min(n) {
                let rows: Vec<_> = (0..count)
                    .map(|index| peer(index, count).rows(n, 1))
                    .collect();
                assert_eq!(rows[0].start, 0);
                assert_eq!(rows[count - 1].end, n);
                for pair in rows.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                }
                let lengths: Vec<_> = rows.iter().map(|r| r.len()).collect();
                let (min, max) = (lengths.iter().min().unwrap(), lengths.iter().max().unwrap());
                assert!(max - min <= 1, "{n} over {count}: {lengths:?}");
            }
        }
    }
}
