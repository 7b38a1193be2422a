/// Training kernels in f32 over row-major `[Float]` buffers: each op's forward (returning what its backward needs)
/// and its backward (returning the input gradient and accumulating parameter gradients into caller buffers).
public enum TrainOps {}
