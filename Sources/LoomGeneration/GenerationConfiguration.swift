import Foundation
import LoomCheckpoint

/// `generation_config.json`: the checkpoint's default decoding settings. Absent fields take transformers'
/// `GenerationConfig` defaults (greedy; temperature 1, top-k 50, top-p 1 when sampling is on).
public struct GenerationConfiguration: Codable, Sendable, Equatable {
    public var bosTokenID: Int?
    /// End-of-sequence ids (`eos_token_id`, a number or a list).
    public var eosTokenIDs: [Int] = []
    public var doSample = false
    public var temperature: Float = 1
    public var topK = 50
    public var topP: Float = 1
    public var maxNewTokens: Int?

    enum CodingKeys: String, CodingKey {
        case bosTokenID = "bos_token_id", eosTokenID = "eos_token_id", doSample = "do_sample"
        case temperature, topK = "top_k", topP = "top_p", maxNewTokens = "max_new_tokens"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bosTokenID = try c.decodeIfPresent(Int.self, forKey: .bosTokenID)
        eosTokenIDs = try c.decodeOneOrMany(.eosTokenID) ?? []
        doSample = try c.decodeIfPresent(Bool.self, forKey: .doSample) ?? doSample
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? topK
        topP = try c.decodeIfPresent(Float.self, forKey: .topP) ?? topP
        maxNewTokens = try c.decodeIfPresent(Int.self, forKey: .maxNewTokens)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(bosTokenID, forKey: .bosTokenID)
        try c.encode(eosTokenIDs, forKey: .eosTokenID)
        try c.encode(doSample, forKey: .doSample)
        try c.encode(temperature, forKey: .temperature)
        try c.encode(topK, forKey: .topK)
        try c.encode(topP, forKey: .topP)
        try c.encodeIfPresent(maxNewTokens, forKey: .maxNewTokens)
    }

    /// The file in `directory`, or defaults when the directory has none.
    public static func load(from directory: URL) throws -> GenerationConfiguration {
        let name = "generation_config.json"
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) else {
            return GenerationConfiguration()
        }
        return try ConfigFile.read(GenerationConfiguration.self, named: name, in: directory)
    }

    /// Parameters that decode as transformers' `generate()` would with this configuration.
    public func parameters(fallbackEOS: [Int]) -> GenerationParameters {
        var p = GenerationParameters()
        p.eosTokenIDs = eosTokenIDs.isEmpty ? fallbackEOS : eosTokenIDs
        if let maxNewTokens { p.maxNewTokens = maxNewTokens }
        if doSample {
            p.temperature = temperature
            p.topK = topK
            p.topP = topP
        }
        return p
    }
}
