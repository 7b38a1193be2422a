import Foundation
import LoomJSON
@testable import LoomTemplates
import Testing

@Suite struct TemplateErrorTests {
    private func renderError(_ source: String, messages: JSONValue = .array([]), variables: JSONObject = JSONObject()) -> TemplateError? {
        do {
            let t = try ChatTemplate(source: source, name: "t")
            _ = try t.render(messages: messages, addGenerationPrompt: false, variables: variables)
            return nil
        } catch let error as TemplateError {
            return error
        } catch {
            return nil
        }
    }

    @Test func syntaxErrorNamesTemplateAndLine() {
        let error = renderError("line one\n{% if true %}\n{{ 1 + }}\n{% endif %}")
        #expect(error?.template == "t")
        #expect(error?.line == 3)
        #expect(error?.message.hasPrefix("TemplateSyntaxError") == true)
    }

    @Test func unclosedBlockIsASyntaxError() {
        let error = renderError("a\nb\n{% for x in y %}\nbody")
        #expect(error?.message.contains("endfor") == true)
    }

    @Test func unknownFilterFailsAtParse() {
        #expect(throws: TemplateError.self) { try ChatTemplate(source: "\n\n{{ x | nosuch }}", name: "f") }
        let error = renderError("\n\n{{ x | nosuch }}")
        #expect(error?.line == 3)
    }

    @Test func raiseExceptionCarriesMessageAndLine() {
        let error = renderError("{% for m in messages %}\n{% if m.role == 'bad' %}\n{{ raise_exception('Bad role: ' + m.role) }}\n{% endif %}\n{% endfor %}",
                                messages: .array([.object(JSONObject(["role": .string("bad")]))]))
        #expect(error?.message == "TemplateError: Bad role: bad")
        #expect(error?.line == 3)
    }

    @Test func undefinedAttributeOfUndefinedRaises() {
        let error = renderError("ok\n{{ missing.attr }}")
        #expect(error?.message == "UndefinedError: 'missing' is undefined")
        #expect(error?.line == 2)
    }

    @Test func sandboxRefusesMutationAndPrivateNamespaceNames() {
        #expect(renderError("{% set l = [1] %}{{ l.append(2) }}")?.message.hasPrefix("SecurityError") == true)
        #expect(renderError("{% set ns = namespace() %}{% set ns._x = 1 %}")?.message.hasPrefix("SecurityError") == true)
        #expect(renderError("{{ ''.__class__() }}")?.message.hasPrefix("SecurityError") == true)
    }

    @Test func rangeAndOutputAreBounded() {
        #expect(renderError("{{ range(100001) | length }}")?.message.hasPrefix("OverflowError") == true)
        #expect(renderError("{% for i in range(100) %}{{ 'x' * 1000000 }}{% endfor %}")?
            .message.hasPrefix("OutputTooLarge") == true)
        #expect(renderError("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")?.message.hasPrefix("RecursionError") == true)
    }

    @Test func hostileNestingIsASyntaxError() {
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        #expect(renderError("{{ \(deep) }}")?.message.hasPrefix("TemplateSyntaxError") == true)
        let unary = String(repeating: "not ", count: 5000)
        #expect(renderError("{{ \(unary)1 }}")?.message.hasPrefix("TemplateSyntaxError") == true)
        let blocks = String(repeating: "{% if true %}", count: 1000) + String(repeating: "{% endif %}", count: 1000)
        #expect(renderError(blocks)?.message.hasPrefix("TemplateSyntaxError") == true)
    }

    @Test func inputsAreNotMutated() throws {
        let messages: JSONValue = .array([.object(JSONObject(["role": .string("user"), "content": .string("hi"), "name": .null]))])
        let t = try ChatTemplate(source: "{% set m = messages[0] %}{{ m }}{% set messages = [] %}{{ messages }}", name: "t")
        let out = try t.render(messages: messages, addGenerationPrompt: true)
        #expect(out.text == "{'role': 'user', 'content': 'hi'}[]")
        #expect(messages.arrayValue?.first?.objectValue?.keys == ["role", "content", "name"])
    }

    @Test func generationSpansCountUnicodeScalars() throws {
        let t = try ChatTemplate(source: "é🙂{% generation %}ab{% endgeneration %}", name: "t")
        let out = try t.render(messages: .array([]), addGenerationPrompt: false)
        #expect(out.generationSpans == [2..<4])
    }

    @Test func strftimeNowUsesTheGivenDate() throws {
        let t = try ChatTemplate(source: "{{ strftime_now('%d %b %Y') }}", name: "t")
        let out = try t.render(messages: .array([]), addGenerationPrompt: false, now: Date(timeIntervalSince1970: 1_721_952_000))
        #expect(out.text == "26 Jul 2024")
    }
}
