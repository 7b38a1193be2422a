import Foundation
import LoomJSON
import LoomTemplates
import LoomTestSupport
import Testing

/// One line of `Tests/Fixtures/templates/{cases,probes}.jsonl` (made by `tools/reference/make_template_fixtures.py`
/// with transformers 5.24 + jinja2 3.1.6).
struct ParityCase: CustomTestStringConvertible, Sendable {
    let index: Int
    let template: String
    let source: String
    let messages: JSONValue
    let addGenerationPrompt: Bool
    let variables: JSONObject
    let now: Date
    let output: String?
    let error: String?
    let generation: [Range<Int>]

    var testDescription: String { "\(template) #\(index)" }

    static func load(_ file: String) -> [ParityCase] {
        let directory = Fixtures.url("templates")
        let text = try! String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        var sources: [String: String] = [:]
        return text.split(separator: "\n").enumerated().map { index, line in
            let c = try! JSONParser.parse(Data(line.utf8)).objectValue!
            let name = c["template"]!.stringValue!
            var source = c["source"]?.stringValue
            if source == nil {
                if sources[name] == nil {
                    sources[name] = try! String(contentsOf: directory.appendingPathComponent("corpus/\(name).jinja"), encoding: .utf8)
                }
                source = sources[name]
            }
            return ParityCase(
                index: index, template: name, source: source!, messages: c["messages"]!,
                addGenerationPrompt: c["add_generation_prompt"]!.boolValue!, variables: c["variables"]!.objectValue!,
                now: Date(timeIntervalSince1970: Double(c["now"]!.intValue!)), output: c["output"]!.stringValue,
                error: c["error"]!.stringValue,
                generation: c["generation"]!.arrayValue!.map { pair in
                    let bounds = pair.arrayValue!.map { $0.intValue! }
                    return bounds[0]..<bounds[1]
                })
        }
    }

    func check() {
        let result: Result<TemplateOutput, TemplateError>
        do {
            let template = try ChatTemplate(source: source, name: template)
            result = .success(try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                                                  variables: variables, now: now))
        } catch let error as TemplateError {
            result = .failure(error)
        } catch {
            Issue.record("unexpected error type: \(error)")
            return
        }
        switch (result, error) {
        case (.success(let rendered), nil):
            #expect(Array(rendered.text.utf8) == Array(output!.utf8), "text differs:\n\(rendered.text.debugDescription)\nvs\n\(output!.debugDescription)")
            #expect(rendered.generationSpans == generation)
        case (.success(let rendered), let expected?):
            Issue.record("jinja2 raised \(expected), LoomTemplates rendered \(rendered.text.debugDescription)")
        case (.failure(let failure), nil):
            Issue.record("LoomTemplates raised \(failure), jinja2 rendered \(output!.debugDescription)")
        case (.failure(let failure), let expected?):
            if expected.hasPrefix("TemplateError: ") {
                // raise_exception(...): the template's own message must come through
                #expect(failure.message.contains(expected.dropFirst("TemplateError: ".count)), "\(failure.message) vs \(expected)")
            }
            #expect(failure.template == template)
        }
    }
}

@Suite struct TemplateParityTests {
    static let corpus = ParityCase.load("cases.jsonl")
    static let probes = ParityCase.load("probes.jsonl")

    @Test func corpusIsComplete() throws {
        let names = Set(Self.corpus.map(\.template))
        #expect(names.count >= 10)
        for name in names { #expect(Self.corpus.filter { $0.template == name }.count >= 15, "\(name)") }
        #expect(Self.probes.count >= 60)
    }

    @Test(arguments: corpus) func corpusCase(_ c: ParityCase) { c.check() }

    @Test(arguments: probes) func probe(_ c: ParityCase) { c.check() }
}
