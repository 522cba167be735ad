//! The tiny training setup the training-loop tests share: groups in en/de/es, a tokenizer
//! trained on them, a one-layer encoder, and a run on one or several CPU devices.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use burn::backend::{Autodiff, Flex};
use hbt_data::tokenize::TextTokenizer;
use hbt_data::{GroupMember, Lang, ParallelGroup};
use hbt_model::{Encoder, EncoderConfig, ModelFamily, PoolingMode};
use hbt_train::{
    train_parallel, BatchSampler, CheckpointDir, DevSet, InfoNceConfig, SamplerConfig, Strategy,
    TrainError, TrainEvent, TrainInputs, TrainerConfig, TrainingSource,
};

pub type B = Autodiff<Flex>;

/// burn-flex's random source (dropout) is process-wide: tests that train must not overlap.
pub static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

pub const WORDS: [&str; 12] = [
    "river", "bread", "mountain", "city", "music", "winter", "garden", "ship", "coffee", "library",
    "forest", "bridge",
];

/// Groups in en/de/es whose question and answer share a topic word.
pub fn groups(n: usize) -> Vec<ParallelGroup> {
    (0..n)
        .map(|i| {
            let word = WORDS[i % WORDS.len()];
            let mut members = BTreeMap::new();
            for (lang, q, a) in [
                ("en", "what about the", "this is the"),
                ("de", "was ist mit dem", "das ist der"),
                ("es", "qué pasa con el", "este es el"),
            ] {
                members.insert(
                    Lang::parse(lang).unwrap(),
                    GroupMember {
                        question: format!("{q} {word} {i}?"),
                        answer: format!("{a} {word} number {i}."),
                        context: None,
                    },
                );
            }
            ParallelGroup {
                id: format!("g{i:02}"),
                members,
            }
        })
        .collect()
}

pub struct Setup {
    pub tokenizer: TextTokenizer,
    pub train: Vec<ParallelGroup>,
    pub dev: DevSet,
    pub model_config: EncoderConfig,
}

pub fn setup() -> Setup {
    let all = groups(40);
    let (train, dev) = all.split_at(32);
    let texts: Vec<String> = train
        .iter()
        .flat_map(|g| g.members.values())
        .flat_map(|m| [m.question.clone(), m.answer.clone()])
        .collect();
    let tokenizer = TextTokenizer::train(texts.iter(), 300, 24).unwrap();
    let mut model_config = EncoderConfig::new(
        ModelFamily::XlmRoberta,
        tokenizer.vocab_size(),
        32,
        1,
        2,
        64,
        tokenizer.max_len() + 2,
    );
    model_config.pooling = PoolingMode::Mean;
    model_config.normalize = true;
    let dev = DevSet::new(dev, &tokenizer).unwrap();
    Setup {
        tokenizer,
        train: train.to_vec(),
        dev,
        model_config,
    }
}

pub fn trainer_config(steps: u64) -> TrainerConfig {
    TrainerConfig {
        steps,
        learning_rate: 2e-3,
        warmup_steps: 2,
        weight_decay: 0.01,
        max_grad_norm: Some(1.0),
        accumulation: 1,
        length_buckets: 1,
        checkpoint_every: 4,
        loss: InfoNceConfig::default(),
        seed: 7,
        freeze_embeddings: false,
        mini_batch: None,
        cross_device_negatives: true,
        precision: hbt_schema::Precision::F32,
    }
}

pub fn run(
    s: &Setup,
    config: &TrainerConfig,
    dir: &Path,
    resume: bool,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<hbt_train::TrainOutcome<Flex>, TrainError> {
    run_on(s, config, dir, resume, 1, on_event)
}

/// The sampler of every run: hybrid batches of 8 from the 32 training groups.
pub fn sampler(s: &Setup) -> BatchSampler {
    BatchSampler::new(
        vec![TrainingSource::from_groups("tiny", s.train.clone())],
        SamplerConfig {
            strategy: Strategy::Hybrid,
            alpha: 0.5,
            batch_size: 8,
            language_weighting: Default::default(),
            seed: 7,
        },
    )
    .unwrap()
}

/// A run data-parallel on `devices` CPU devices (1: plain training).
pub fn run_on(
    s: &Setup,
    config: &TrainerConfig,
    dir: &Path,
    resume: bool,
    devices: usize,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<hbt_train::TrainOutcome<Flex>, TrainError> {
    let device = Default::default();
    let model = Encoder::<B>::init(&s.model_config, 7, &device).unwrap();
    let checkpoints = CheckpointDir::new(dir);
    let inputs = TrainInputs {
        sampler: sampler(s),
        dev: &s.dev,
        tokenizer: &s.tokenizer,
        checkpoints: &checkpoints,
        fingerprint: "tiny".into(),
        resume,
    };
    let devices = vec![device; devices];
    train_parallel(model, inputs, config, &devices, None, on_event)
        .map(|outcome| outcome.expect("a one-node run returns its outcome"))
}

pub fn weights(model: &Encoder<Flex>) -> Vec<f32> {
    let map = model.to_weights().unwrap();
    map.into_values().flat_map(|t| t.data).collect()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
