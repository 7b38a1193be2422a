import Foundation
import LoomTestSupport
import Testing

/// The checkpoint's own chat template as users meet it: `--template auto` (the default) and `checkpoint` render
/// llava-hf and Qwen2 checkpoints byte-identically to the built-in templates, `loom template render` prints exactly
/// the rendered string, and template errors name the file and line.
@Suite struct TemplateCLITests {
    static let images = Fixtures.url("llava/images")

    @Test(arguments: ["llava/tiny-84", "llava_next/tiny-anyres"])
    func checkpointTemplateEqualsTheBuiltInHF(model: String) throws {
        let cases: [[String]] = [
            ["--prompt", "What is in these?", "--image", Self.images.appendingPathComponent("coffee.jpg").path,
             "--image", Self.images.appendingPathComponent("chelsea.jpg").path],
            ["--prompt", "Describe it.", "--system", "Be brief.", "--image", Self.images.appendingPathComponent("rocket.jpg").path],
            ["--prompt", "No image here, just text: <|im_start|> stays text?"],
        ]
        for arguments in cases {
            var outputs: [String] = []
            for template in ["auto", "checkpoint", "hf"] {
                let run = try CLI.run(["prompt", "--model", Fixtures.url(model).path, "--template", template] + arguments)
                #expect(run.status == 0, "\(template): \(run.stderr)")
                outputs.append(run.stdout)
            }
            #expect(outputs[0] == outputs[2], "auto vs hf for \(arguments)")
            #expect(outputs[1] == outputs[2], "checkpoint vs hf for \(arguments)")
        }
    }

    @Test func textCheckpointTemplateEqualsChatML() throws {
        let model = Fixtures.url("qwen2/gqa-f32").path
        for extra in [[], ["--system", "You are terse."]] {
            let auto = try CLI.run(["prompt", "--model", model, "--prompt", "Hello there"] + extra)
            let builtIn = try CLI.run(["prompt", "--model", model, "--prompt", "Hello there", "--template", "hf"] + extra)
            #expect(auto.status == 0 && builtIn.status == 0, "\(auto.stderr)\(builtIn.stderr)")
            #expect(auto.stdout == builtIn.stdout)
        }
    }

    @Test func renderPrintsExactlyTheTemplateOutput() throws {
        let messages = FileManager.default.temporaryDirectory.appendingPathComponent("loom-messages-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: messages) }
        try #"[{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is this?"}]}, {"role": "assistant", "content": [{"type": "text", "text": "A cup."}]}]"#
            .write(to: messages, atomically: true, encoding: .utf8)
        let run = try CLI.run(["template", "render", "--model", Fixtures.url("llava/tiny-84").path, "--messages", messages.path,
                               "--add-generation-prompt"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "<|im_start|>user\n<image>\nWhat is this?<|im_end|>\n<|im_start|>assistant\n\nA cup.<|im_end|>\n<|im_start|>assistant\n")

        let template = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bad-\(UUID().uuidString).jinja")
        defer { try? FileManager.default.removeItem(at: template) }
        try "{% for m in messages %}\n{{ m.content + 1 }}\n{% endfor %}".write(to: template, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["template", "render", "--template", template.path, "--messages", messages.path])
        #expect(bad.status == 1)
        #expect(bad.stdout.isEmpty)
        #expect(bad.stderr.contains("\(template.lastPathComponent):2: TypeError"), "\(bad.stderr)")
    }
}
