import LoomCore
import LoomPrompt
import LoomTestSupport
import Testing
@testable import LoomKit

/// Expects `loom` to reproduce a transformers reference for `prompt`: the rendered `inputIDs`, the logits at
/// `logitRows` (every position when nil) within 1e-4 of `expected`, and the 32-token greedy continuation `greedyIDs`
/// less a final end-of-sequence id (one of `eosTokenIDs`, else of the model's default parameters). `label` names the
/// case in failure messages.
func expectReferenceParity(_ loom: LoomModel, _ prompt: RenderedPrompt, inputIDs: [Int], logits expected: Tensor,
                           logitRows: [Int]?, greedyIDs: [Int], eosTokenIDs: [Int]? = nil, label: String) throws {
    #expect(prompt.ids == inputIDs, "\(label): rendered ids differ")
    let (embeddings, _) = try loom.embed(prompt)
    let decoder = loom.languageModel
    let logits = decoder.logits(decoder.forward(embeddings, cache: decoder.makeCache()))
    let rows = logitRows ?? Array(0..<logits.rows)
    let ours = rows.flatMap { logits.row($0) }
    #expect(ours.count == expected.count)
    #expect(maxAbsDifference(ours, expected.data) < 1e-4, "\(label): logits differ")
    var parameters = loom.defaultParameters
    parameters.maxNewTokens = 32
    let result = try loom.generate(prompt, parameters: parameters)
    let greedy = Fixtures.greedyIDs(greedyIDs, droppingFinal: eosTokenIDs ?? parameters.eosTokenIDs)
    #expect(result.tokenIDs == greedy, "\(label): greedy continuation differs")
}
