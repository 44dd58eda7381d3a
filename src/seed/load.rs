//! The loader: streams the generator's chunks into one binary COPY per table inside the
//! seed transaction (or per unit, on a connection of a parallel load), with an optional
//! progress bar per table.
//! Must not generate rows or decide what to clear.

use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc;
use tokio_postgres::{CopyInSink, Transaction};

use crate::Error;
use crate::seed::producer::ChunkMessage;
use crate::seed::tables::{Slice, Table};
use crate::seed::volume::Volume;

/// Progress bars per table on stderr (or none).
pub struct Progress {
    bars: Option<MultiProgress>,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        Progress {
            bars: enabled.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// A bar for `table`'s `rows` rows (none when progress is off).
    pub fn bar(&self, table: Table, rows: u64) -> Option<ProgressBar> {
        let bars = self.bars.as_ref()?;
        let style = ProgressStyle::with_template(
            "{prefix:>26} [{bar:30}] {human_pos:>11}/{human_len} rows {per_sec:>14}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = bars.add(
            ProgressBar::new(rows)
                .with_style(style)
                .with_prefix(table.name()),
        );
        Some(bar)
    }
}

/// Loads every table of `tables` from `chunks`; returns the rows the server reported per table.
pub async fn copy_tables(
    transaction: &Transaction<'_>,
    chunks: &mut mpsc::Receiver<ChunkMessage>,
    tables: &[(Table, bool)],
    volume: &Volume,
    slice: &Slice,
    progress: &Progress,
    phases: &mut crate::seed::Phases,
) -> crate::Result<Vec<(Table, Copied)>> {
    let mut loaded = Vec::with_capacity(tables.len());
    for (table, freeze) in tables {
        let expected = table.rows_in(volume, slice);
        let bar = progress.bar(*table, expected);
        let doing = format!("seed: COPY into {}", table.name());
        let sink = transaction
            .copy_in(&table.copy_sql(*freeze))
            .await
            .map_err(|e| Error::database(&doing, &e))?;
        let copied = stream_into(sink, chunks, *table, bar.as_ref()).await?;
        let rows = copied.rows;
        if let Some(bar) = bar {
            bar.finish();
        }
        if rows != expected {
            return Err(Error::environment(format!(
                "seed: the server stored {rows} rows in {} where {expected} were sent",
                table.name()
            )));
        }
        phases.mark(&format!("copy {}", table.name()));
        loaded.push((*table, copied));
    }
    Ok(loaded)
}

/// What one COPY did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    /// Rows the server reported.
    pub rows: u64,
    /// Time the generator spent producing the data.
    pub generated: Duration,
}

/// Streams one table's (or unit's) chunks from `chunks` into the open COPY `sink`.
pub async fn stream_into(
    sink: CopyInSink<Bytes>,
    chunks: &mut mpsc::Receiver<ChunkMessage>,
    table: Table,
    bar: Option<&ProgressBar>,
) -> crate::Result<Copied> {
    let doing = format!("seed: COPY into {}", table.name());
    let mut sink = std::pin::pin!(sink);
    let mut generated = Duration::ZERO;
    loop {
        let chunk = match chunks.recv().await {
            Some(Ok(chunk)) => chunk,
            Some(Err(message)) => return Err(Error::environment(format!("seed: {message}"))),
            None => {
                return Err(Error::environment(format!(
                    "{doing}: the generator thread stopped early"
                )));
            }
        };
        if chunk.table != table {
            return Err(Error::environment(format!(
                "{doing}: received rows of {}",
                chunk.table.name()
            )));
        }
        generated += chunk.generated;
        sink.send(chunk.data)
            .await
            .map_err(|e| Error::database(&doing, &e))?;
        if let Some(bar) = bar {
            bar.inc(chunk.rows);
        }
        if chunk.last {
            break;
        }
    }
    let rows = sink
        .as_mut()
        .finish()
        .await
        .map_err(|e| Error::database(&doing, &e))?;
    Ok(Copied { rows, generated })
}
