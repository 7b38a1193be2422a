import Foundation
import HTTPTypes
import Hummingbird
import LoomEngine
import LoomGeneration
import LoomMedia
import LoomModels
import LoomPrompt

/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}` with its HTTP status.
struct APIError: Error, CustomStringConvertible {
    let status: HTTPResponse.Status
    let message: String
    let type: String
    let param: String?
    let code: String?
    /// Seconds after which to retry (429, 503).
    var retryAfter: Int?

    var description: String { "\(status.code) \(message)" }

    static func badRequest(_ message: String, code: String = "invalid_request", param: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func unauthorized() -> APIError {
        APIError(status: .unauthorized, message: "Incorrect API key provided. Send it as 'Authorization: Bearer KEY'.",
                 type: "invalid_request_error", param: nil, code: "invalid_api_key")
    }

    static func notFound(_ message: String, code: String) -> APIError {
        APIError(status: .notFound, message: message, type: "invalid_request_error", param: nil, code: code)
    }

    static func tooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "The request body is larger than the limit of \(limit) bytes (--max-body-bytes).",
                 type: "invalid_request_error", param: nil, code: "request_too_large")
    }

    static func unavailable(_ message: String, code: String, retryAfter: Int) -> APIError {
        APIError(status: .serviceUnavailable, message: message, type: "unavailable_error", param: nil, code: code, retryAfter: retryAfter)
    }

    /// The `error` object.
    var object: [String: Any] {
        ["message": message, "type": type, "param": param.map { $0 as Any } ?? NSNull(), "code": code.map { $0 as Any } ?? NSNull()]
    }

    /// The body.
    var json: Data { jsonBytes(["error": object]) }

    /// The HTTP response.
    var response: Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    /// What a failure while preparing or running a request means to the client.
    static func from(_ error: Error, retryAfter: Int) -> APIError {
        switch error {
        case let api as APIError: return api
        case let engine as EngineError:
            switch engine {
            case .queueFull:
                return APIError(status: .tooManyRequests, message: engine.description, type: "rate_limit_error", param: nil,
                                code: "queue_full", retryAfter: retryAfter)
            case .shutDown:
                return .unavailable(engine.description, code: "shutting_down", retryAfter: retryAfter)
            case .exceedsBudget: return .badRequest(engine.description, code: "context_length_exceeded", param: "messages")
            default: return .badRequest(engine.description)
            }
        case let generation as GenerationError:
            if case .promptTooLong = generation { return .badRequest(generation.description, code: "context_length_exceeded", param: "messages") }
            return .badRequest(generation.description)
        case let media as MediaError: return .badRequest(media.description, code: "invalid_image", param: "messages")
        case let prompt as PromptError: return .badRequest(prompt.description, param: "messages")
        case let model as ModelError: return .badRequest(model.description, param: "messages")
        case let decoding as DecodingError: return .badRequest("The request body is not valid: \(describe(decoding))")
        case let media as LocalizedError: return .badRequest(media.errorDescription ?? "\(error)", code: "invalid_media", param: "messages")
        default:
            return APIError(status: .internalServerError, message: "The server failed to answer: \(error)", type: "server_error",
                            param: nil, code: "server_error")
        }
    }

    /// A JSON decoding error in one line naming the field.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "the body" : String(keys.drop { $0 == "." })
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context)) should be \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context): return "\(path(context)) is missing (\(type))"
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "'\(key.stringValue)' is required" + (parent == "the body" ? "" : " in \(parent)")
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
