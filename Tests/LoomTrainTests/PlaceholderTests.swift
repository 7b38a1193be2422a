import Testing
@testable import LoomTrain

@Suite struct LoomTrainPlaceholderTests {}
