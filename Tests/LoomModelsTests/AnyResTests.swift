import Foundation
import Testing
import LoomCheckpoint
import LoomCore
import LoomTestSupport
@testable import LoomModels

/// Multi-patch (AnyRes) geometry and token counts against transformers' `LlavaNextProcessor`.
@Suite struct AnyResTests {
    static let directory = Fixtures.url("llava_next/tiny-anyres")

    /// `[width, height, image_tokens, tile_rows, tile_columns]` rows the processor produced for 200 image sizes.
    static func countTable() throws -> [[Int]] {
        let table = try Fixtures.referenceJSON(directory)["token_count_table"] as! [String: Any]
        return (table["rows"] as! [[NSNumber]]).map { $0.map(\.intValue) }
    }

    static func configuration() throws -> LlavaNextConfiguration {
        try ConfigFile.read(LlavaNextConfiguration.self, named: "config.json", in: directory)
    }

    @Test func tokenCountsEqualTheProcessorsForEveryRecordedSize() throws {
        let configuration = try Self.configuration()
        let table = try Self.countTable()
        #expect(table.count == 200)
        var mismatches: [String] = []
        for row in table {
            let (width, height) = (row[0], row[1])
            let count = configuration.imageTokenCount(forImageOfWidth: width, height: height)
            let grid = configuration.layout.grid.tiles(forWidth: width, height: height)
            if count != row[2] || grid.rows != row[3] || grid.columns != row[4] {
                mismatches.append("\(width)×\(height): \(count) tokens in \(grid) vs \(row[2]) in (\(row[3]), \(row[4]))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// `pack` gives exactly the counted rows, for both merges, at every recorded size.
    @Test(arguments: AnyResLayout.Merge.allCases)
    func packedRowsEqualTheCount(merge: AnyResLayout.Merge) throws {
        var configuration = try Self.configuration()
        configuration.patchMerge = merge
        let layout = configuration.layout
        let width = 2
        for row in try Self.countTable() {
            let (columns, rows) = (row[0], row[1])
            let grid = layout.grid.tiles(forWidth: columns, height: rows)
            let views = 1 + grid.rows * grid.columns
            let features = Tensor(shape: [views * layout.tokensPerView, width],
                                  data: (0..<(views * layout.tokensPerView * width)).map(Float.init))
            let packed = layout.pack(features, imageWidth: columns, imageHeight: rows, newline: [-1, -1])
            #expect(packed.rows == layout.imageTokenCount(forImageOfWidth: columns, height: rows), "\(columns)×\(rows)")
        }
    }

    /// The spatial order of `pack_image_features`: the global view, then the grid row by row across tiles, each row
    /// ending with the newline; padding rows of a wide image are dropped.
    @Test func spatialUnpadOrder() {
        let grid = AnyResGrid(pinpoints: [[2, 4]], tileSize: 2)
        let layout = AnyResLayout(grid: grid, patchesPerSide: 2, tokensPerView: 4, merge: .spatialUnpad)
        // 3 views of 2×2 patches; feature value = view * 10 + patch.
        let values: [Float] = (0..<3).flatMap { view in (0..<4).map { Float(view * 10 + $0) } }
        let packed = layout.pack(Tensor(shape: [12, 1], data: values), imageWidth: 8, imageHeight: 2, newline: [-1])
        // An 8×2 image in a 4×2 grid: extent int(2 · 4/8) = 1 row, padding (2 − 1) / 2 = 0 — both rows kept.
        #expect(packed.data == [0, 1, 2, 3, 10, 11, 20, 21, -1, 12, 13, 22, 23, -1])
        // A 40×2 image: extent int(2 · 4/40) = 0 rows, padding 1 — the grid is all padding, only the global view stays.
        let wide = layout.pack(Tensor(shape: [12, 1], data: values), imageWidth: 40, imageHeight: 2, newline: [-1])
        #expect(wide.data == [0, 1, 2, 3])
        let tall = AnyResLayout(grid: AnyResGrid(pinpoints: [[4, 2]], tileSize: 2), patchesPerSide: 2, tokensPerView: 4,
                                merge: .spatialUnpad)
        // A 1×8 image in a 2-wide, 4-tall grid: extent int(1 · 4/8) = 0 columns, padding 1 — no columns kept.
        #expect(tall.pack(Tensor(shape: [12, 1], data: values), imageWidth: 1, imageHeight: 8, newline: [-1]).data
                == [0, 1, 2, 3, -1, -1, -1, -1])
    }

    @Test func flatKeepsEveryViewInOrder() {
        let layout = AnyResLayout(grid: AnyResGrid(pinpoints: [[2, 4]], tileSize: 2), patchesPerSide: 2, tokensPerView: 4,
                                  merge: .flat)
        let values = (0..<12).map(Float.init)
        #expect(layout.imageTokenCount(forImageOfWidth: 5, height: 3) == 12)
        #expect(layout.pack(Tensor(shape: [12, 1], data: values), imageWidth: 5, imageHeight: 3, newline: nil).data == values)
    }

    /// `int(round(x, 7))`: fractions within 5e-8 of the next integer round up, others truncate.
    @Test(arguments: [(3.0, 3), (3.99999996, 4), (3.9999999, 3), (13.999999999, 14), (0.4, 0), (7.00000004, 7)])
    func pythonRoundThenTruncate(value: Double, expected: Int) {
        #expect(AnyResLayout.truncatedRoundedTo7Places(value) == expected)
    }

    /// select_best_resolution: the most effective pixels, then the least waste, then the first listed.
    @Test func bestResolution() {
        let grid = AnyResGrid(pinpoints: [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]], tileSize: 336)
        #expect(grid.bestResolution(forWidth: 1000, height: 500) == .init(height: 336, width: 672))
        #expect(grid.bestResolution(forWidth: 640, height: 480) == .init(height: 672, width: 672))
        #expect(grid.bestResolution(forWidth: 300, height: 1000) == .init(height: 1008, width: 336))
        #expect(grid.bestResolution(forWidth: 10, height: 10) == .init(height: 336, width: 672))
        #expect(AnyResGrid.fittedSize(width: 320, height: 213, in: .init(height: 84, width: 126))
                == .init(height: 84, width: 126))
        #expect(AnyResGrid.fittedSize(width: 320, height: 180, in: .init(height: 84, width: 126))
                == .init(height: 71, width: 126))
    }

    /// The llava-hf `llava-v1.6` config shape: pinpoints given, LLaVA's fields around them.
    @Test func decodesAConfigWithDefaultsAndMergeType() throws {
        let json = """
        {"model_type":"llava_next","image_token_index":515,"vision_feature_select_strategy":"full","vision_feature_layer":-1,
         "text_config":{"model_type":"qwen2","vocab_size":516,"hidden_size":64,"num_attention_heads":4,
                        "num_key_value_heads":4},
         "vision_config":{"model_type":"siglip_vision_model","image_size":384,"patch_size":14}}
        """
        var c = try ConfigFile.decode(LlavaNextConfiguration.self, from: Data(json.utf8), file: "config.json")
        #expect(c.llava.modelType == "llava_next" && c.llava.imageTokenIndex == 515 && c.patchMerge == .spatialUnpad)
        #expect(c.imageGridPinpoints == [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]])
        #expect(throws: ModelError.self) { try c.validate() }  // 336-multiples do not tile 384 px
        c.imageGridPinpoints = [[384, 768], [768, 384]]
        try c.validate()
        #expect(c.imageTokenCount(forImageOfWidth: 800, height: 400) == 729 + 27 * 55)
        let encoded = try JSONEncoder().encode(c)
        #expect(try ConfigFile.decode(LlavaNextConfiguration.self, from: encoded, file: "config.json") == c)
        let flat = json.replacingOccurrences(of: "\"model_type\":\"llava_next\"",
                                             with: "\"model_type\":\"llava_next\",\"mm_patch_merge_type\":\"flat\"")
        #expect(try ConfigFile.decode(LlavaNextConfiguration.self, from: Data(flat.utf8), file: "config.json").patchMerge == .flat)
        let spatial = json.replacingOccurrences(of: "\"model_type\":\"llava_next\"",
                                                with: "\"model_type\":\"llava_next\",\"mm_patch_merge_type\":\"spatial\"")
        #expect(throws: (any Error).self) {
            try ConfigFile.decode(LlavaNextConfiguration.self, from: Data(spatial.utf8), file: "config.json")
        }
        c.llava.visionFeatureSelectStrategy = "default"
        #expect(throws: ModelError.self) { try c.validate() }
        c.patchMerge = .flat
        try c.validate()
        #expect(c.imageTokenCount(forImageOfWidth: 800, height: 400) == 3 * 728)
    }

    /// A checkpoint without `image_newline` loads only for `flat` merging.
    @Test func spatialUnpadNeedsTheNewline() throws {
        var c = try Self.configuration()
        let source = RandomWeights(absent: ["image_newline", "model.image_newline"])
        #expect(throws: ModelError.self) { try LlavaNextModel(configuration: c, source: source) }
        c.patchMerge = .flat
        #expect(try LlavaNextModel(configuration: c, source: source).imageNewline == nil)
    }
}
