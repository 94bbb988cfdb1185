//! `rl system df` and `rl system prune`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::config::Paths;
use crate::container;
use crate::error::Result;
use crate::format::{Format, human_size};

/// Options of `rl system df`.
#[derive(Debug, clap::Args)]
pub struct DfArgs {
    /// Output format: json, or a Go template applied to each row
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Show every image, container and volume (accepted; the summary is printed)
    #[arg(short, long)]
    pub verbose: bool,
}

/// Options of `rl system prune`.
#[derive(Debug, clap::Args)]
pub struct SystemPruneArgs {
    /// Also remove every image no container uses, not only dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Also remove volumes no container uses
    #[arg(long)]
    pub volumes: bool,
}

fn pct(part: u64, whole: u64) -> String {
    format!(
        "{}%",
        part.saturating_mul(100).checked_div(whole).unwrap_or(0)
    )
}

/// `rl system df`: what images, containers and volumes take, and what could be reclaimed.
pub fn df(a: &DfArgs) -> Result<()> {
    let format = Format::parse(a.format.as_deref())?;
    let ctx = super::image::Ctx::load()?;
    let paths = &ctx.paths;
    super::lifecycle::ensure_userns()?;
    let containers = container::list_live(paths);
    let images = crate::image::local::list(&ctx.store)?;
    let used_images: BTreeSet<&str> = containers.iter().map(|r| r.image_id.as_str()).collect();
    let (mut img_size, mut img_free, mut img_active) = (0u64, 0u64, 0usize);
    for i in &images {
        img_size = img_size.saturating_add(i.record.size);
        if used_images.contains(i.record.id.hex()) {
            img_active += 1;
        } else {
            img_free = img_free.saturating_add(i.record.size);
        }
    }
    let (mut ctr_size, mut ctr_free, mut ctr_active) = (0u64, 0u64, 0usize);
    for r in &containers {
        let s = super::ps::upper_size(&container::dir(paths, &r.id).join("upper"));
        ctr_size = ctr_size.saturating_add(s);
        if r.is_running() {
            ctr_active += 1;
        } else {
            ctr_free = ctr_free.saturating_add(s);
        }
    }
    let used_vols = crate::volume::in_use(paths);
    let volumes = crate::volume::list(paths);
    let (mut vol_size, mut vol_free, mut vol_active) = (0u64, 0u64, 0usize);
    for v in &volumes {
        let s = super::ps::upper_size(&v.dir);
        vol_size = vol_size.saturating_add(s);
        if used_vols.contains(&v.name) {
            vol_active += 1;
        } else {
            vol_free = vol_free.saturating_add(s);
        }
    }
    let rows = [
        ("Images", images.len(), img_active, img_size, img_free),
        (
            "Containers",
            containers.len(),
            ctr_active,
            ctr_size,
            ctr_free,
        ),
        (
            "Local Volumes",
            volumes.len(),
            vol_active,
            vol_size,
            vol_free,
        ),
    ];
    let values: Vec<Value> = rows
        .iter()
        .map(|(t, n, act, size, free)| {
            json!({
                "Type": t, "Total": n, "Active": act, "RawSize": size, "RawReclaimable": free,
                "Size": human_size(*size),
                "Reclaimable": format!("{} ({})", human_size(*free), pct(*free, *size)),
            })
        })
        .collect();
    let text = match &format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&values)
                .map_err(|e| crate::error::Error::io("encode", e.into()))?;
            s.push('\n');
            s
        }
        Format::Template(_) => {
            let mut s = String::new();
            for v in &values {
                s.push_str(&format.render(v, |_| String::new())?);
            }
            s
        }
        Format::Human => {
            let mut lines = vec!["TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE".to_string()];
            for v in &values {
                lines.push(format!(
                    "{}\t{}\t{}\t{}\t{}",
                    v["Type"].as_str().unwrap_or(""),
                    v["Total"],
                    v["Active"],
                    v["Size"].as_str().unwrap_or(""),
                    v["Reclaimable"].as_str().unwrap_or("")
                ));
            }
            crate::format::tabulate(&lines)
        }
    };
    super::print_stdout(&text)
}

/// `rl system prune`: stopped containers, then dangling (with `-a`: unused) images, then with
/// `--volumes` volumes no container uses.
pub fn prune(a: &SystemPruneArgs) -> Result<()> {
    if !a.force {
        let mut what = vec!["all stopped containers"];
        what.push(if a.all {
            "all images without at least one container associated with them"
        } else {
            "all dangling images"
        });
        if a.volumes {
            what.push("all volumes not used by at least one container");
        }
        if !super::image::confirm(&format!(
            "WARNING! This command removes:\n  - {}\nAre you sure you want to continue?",
            what.join("\n  - ")
        )) {
            return Ok(());
        }
    }
    super::lifecycle::prune(&super::lifecycle::PruneArgs {
        force: true,
        filter: Vec::new(),
    })?;
    super::image::run(super::image::ImageCommand::Prune(super::image::PruneArgs {
        all: a.all,
        force: true,
        filter: Vec::new(),
    }))
    .unwrap_or(Ok(()))?;
    if a.volumes {
        let paths = Paths::from_env()?;
        let used = crate::volume::in_use(&paths);
        let unused: Vec<crate::volume::Volume> = crate::volume::list(&paths)
            .into_iter()
            .filter(|v| !used.contains(&v.name))
            .collect();
        super::volume::prune_volumes(&paths, &unused)?;
    }
    Ok(())
}
