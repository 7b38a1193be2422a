import Foundation
import LoomHub

/// Where a `--model` argument points: an existing local directory (as always), or a hub repo id
/// `ORG/NAME[@REVISION]` resolved from the Hugging Face cache exactly as `huggingface_hub` lays it out (`HF_HUB_CACHE`,
/// `HUGGINGFACE_HUB_CACHE`, `HF_HOME`/hub, `XDG_CACHE_HOME`/huggingface/hub, `~/.cache/huggingface/hub`).
enum ModelLocation {
    /// The model directory `argument` names: a local path as given, or a cached hub snapshot holding a loadable
    /// model (`config.json` and every weight shard). See ``resolve(_:requiring:)``.
    static func resolve(_ argument: String) throws -> URL {
        try resolve(argument, requiring: .model)
    }

    /// The model directory `argument` names. A local path wins when it exists (and is returned unchecked, as
    /// before). A repo id resolves to `models--ORG--NAME/snapshots/<commit>` after checking the files `requirement`
    /// names (by default `config.json` and every weight shard; `.tokenizer` for commands that only tokenize); a
    /// missing revision or file is an error naming it and the `loom pull` to run. Never touches the network.
    static func resolve(_ argument: String, requiring requirement: SnapshotRequirement) throws -> URL {
        switch try ModelSource(argument) {
        case let .local(url):
            return url
        case let .hub(reference):
            do {
                let snapshot = try HubCache(environment: HubEnvironment()).modelDirectory(for: reference, requiring: requirement)
                if let warning = snapshot.warning { writeError("warning: \(warning)") }
                return snapshot.directory
            } catch let error as HubError {
                guard case .notCached = error else { throw error }
                throw ModelLocationError(message: "there is no local directory '\(argument)', and \(error)")
            }
        }
    }
}

/// A `--model` argument that names nothing: neither a local directory nor a cached repository.
struct ModelLocationError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
