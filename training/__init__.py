"""How the digit models in `ocr/models/` are made: never imported by the reader.

- `python -m training.train_digits`: the SVM (fitted by `svm_fit.py`) and the numpy convnet
  (`convnet_fit.py`), `digits-v1.*`.
- `python -m training.train_cnn`: the grey-frame network (`digits-cnn.*`), fitted with torch
  in a separate environment by `training/fit_cnn.py`.
- The sets they learn from: `training.data` (MNIST samples rendered as box crops by
  `training.augment`, the MNIST test set from `training.mnist_test`, handwriting fonts from
  `training.font_digits`, boxes cut from generated photos by `training.page_crops`), and
  the counting both training and the digit benchmark use (`training.digit_metrics`).

Not shipped in the wheel: run it from a checkout.
"""
