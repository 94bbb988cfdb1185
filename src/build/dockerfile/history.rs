//! The `created_by` text of image history entries, in the forms buildah (`podman build`)
//! writes: `/bin/sh -c #(nop) <instruction>` for metadata, `|N K=V... /bin/sh -c <command>`
//! for RUN, `/bin/sh -c #(nop) COPY file:<digest> in <dest> ` for COPY and ADD.

use super::{Instruction, Kind, instr};

impl Instruction {
    /// The `created_by` text for this instruction, `shell` being the shell prefix (buildah
    /// always writes `["/bin/sh", "-c"]`; docker's classic builder uses the current SHELL).
    ///
    /// RUN: `SHELL... COMMAND` with the command as written (exec form: the JSON text).
    /// ARG: `SHELL... #(nop) ARG NAME...`. Everything else: `SHELL... #(nop) ORIGINAL`; for
    /// COPY and ADD prefer [`Instruction::copy_history_text`], which names the content.
    pub fn history_text(&self, shell: &[String]) -> String {
        self.history_text_with_args(shell, &[])
    }

    /// As [`Instruction::history_text`], with the build arguments in effect for a RUN
    /// (ARGs in scope that have a value) written before it as `|N K=V ... `.
    pub fn history_text_with_args(
        &self,
        shell: &[String],
        build_args: &[(String, String)],
    ) -> String {
        let shell = shell.join(" ");
        match &self.kind {
            Kind::Run(_) => {
                let command = format!("{shell} {}", instr::args_text(&self.original));
                if build_args.is_empty() {
                    return command;
                }
                let args: Vec<String> =
                    build_args.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("|{} {} {command}", args.len(), args.join(" "))
            }
            Kind::Arg(args) => {
                let names: Vec<&str> = args.iter().map(|(k, _)| k.as_str()).collect();
                format!("{shell} #(nop) ARG {}", names.join(" "))
            }
            _ => format!("{shell} #(nop) {}", self.original),
        }
    }

    /// The `created_by` text of a COPY or ADD: `SHELL... #(nop) COPY SUMMARY in DEST ` where
    /// `summary` names the content (buildah: `file:<sha256>` for one file, `dir:<sha256>` for a
    /// directory, `multi:<sha256>` for several sources) and `dest` is the expanded destination.
    pub fn copy_history_text(&self, shell: &[String], summary: &str, dest: &str) -> String {
        format!(
            "{} #(nop) {} {summary} in {dest} ",
            shell.join(" "),
            self.keyword()
        )
    }
}
