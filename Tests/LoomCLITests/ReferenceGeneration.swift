import LoomTestSupport
import Testing

/// Expects a `loom generate --output json` run to have succeeded, rendered the reference's prompt ids (under
/// `idsKey`) and generated its greedy ids, less a final end-of-sequence id (514 in the fixtures' vocabulary).
/// Returns the run's JSON and those greedy ids for further checks.
@discardableResult
func expectReferenceGeneration(_ run: CLI.Run, _ reference: [String: Any], idsKey: String = "input_ids",
                               sourceLocation: SourceLocation = #_sourceLocation) throws -> (json: [String: Any], greedy: [Int]) {
    #expect(run.status == 0, "\(run.stderr)", sourceLocation: sourceLocation)
    let json = try run.json()
    #expect(Fixtures.ints(json, "prompt_token_ids") == Fixtures.ints(reference, idsKey), sourceLocation: sourceLocation)
    let greedy = Fixtures.greedyIDs(Fixtures.ints(reference, "greedy_ids"), droppingFinal: [514])
    #expect(Fixtures.ints(json, "token_ids") == greedy, sourceLocation: sourceLocation)
    return (json, greedy)
}
