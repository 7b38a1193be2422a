import Foundation

/// Learning rate over optimizer steps, as transformers' `get_{constant,linear,cosine}_schedule_with_warmup`: linear
/// warmup from 0 over `warmupSteps`, then constant, linear decay to 0, or half a cosine to 0 at `totalSteps`.
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public enum Shape: String, Codable, Sendable, CaseIterable {
        case constant, linear, cosine
    }

    public var shape: Shape
    public var peak: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(shape: Shape, peak: Double, warmupSteps: Int, totalSteps: Int) {
        self.shape = shape
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    public func validate() throws {
        guard peak > 0, peak.isFinite else { throw TrainError.invalidOption("--lr must be a positive number") }
        guard warmupSteps >= 0 else { throw TrainError.invalidOption("--warmup-steps must not be negative") }
        guard totalSteps > 0 else { throw TrainError.invalidOption("training needs at least one step") }
    }

    /// The rate of optimizer step `step` (1-based): the scheduler's value after `step − 1` scheduler steps.
    public func rate(atStep step: Int) -> Double {
        let current = Double(step - 1)
        if step - 1 < warmupSteps { return peak * current / Double(max(1, warmupSteps)) }
        switch shape {
        case .constant:
            return peak
        case .linear:
            return peak * max(0, Double(totalSteps - (step - 1)) / Double(max(1, totalSteps - warmupSteps)))
        case .cosine:
            let progress = Double(step - 1 - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return peak * max(0, 0.5 * (1 + cos(Double.pi * 0.5 * 2 * progress)))
        }
    }
}
