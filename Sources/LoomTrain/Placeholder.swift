// Placeholder so that the target builds while its components land; removed by the first real file.
enum LoomTrainPlaceholder {}
