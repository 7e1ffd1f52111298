"""EfficientNet-Lite0 exports to a SavedModel and to ONNX (tf2onnx, opset 17, float32) that compute what the
Keras model computes, at any input size, with every ONNX node on onnxruntime's CUDA kernel table."""

import numpy as np
import onnx
import pytest
import skimage.data

from upconv_tf.backbones.efficientnet_lite import EfficientNetLite0

from cuda_kernels import kernels, uncovered_nodes

OUTPUTS = ("features", "logits")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    import tensorflow as tf

    from upconv_tf.export.onnx import function_to_onnx

    folder = tmp_path_factory.mktemp("lite0")
    model = EfficientNetLite0()
    model.export(str(folder / "saved_model"), format="tf_saved_model", verbose=False)
    spec = [tf.TensorSpec([None, None, None, 3], tf.float32, name="images")]
    serve = tf.function(lambda images: model(images, training=False), input_signature=spec)
    proto = function_to_onnx(serve, spec, folder / "lite0.onnx", list(OUTPUTS), opset=17)
    return model, folder, proto


@pytest.mark.slow
def test_savedmodel_and_onnx_match_keras_at_any_size(exported, rng):
    import onnxruntime as ort
    import tensorflow as tf

    model, folder, _ = exported
    saved = tf.saved_model.load(str(folder / "saved_model"))
    session = ort.InferenceSession(str(folder / "lite0.onnx"), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == list(OUTPUTS)
    report = {}
    for size in ((192, 192), (224, 224), (120, 88)):
        images = rng.random((2, *size, 3)).astype(np.float32)
        expected = {key: np.asarray(value) for key, value in model(images).items()}
        from_saved = {key: np.asarray(value) for key, value in saved.serve(images).items()}
        from_onnx = dict(zip(OUTPUTS, session.run(None, {"images": images})))
        for key in OUTPUTS:
            assert from_onnx[key].dtype == np.float32 and from_onnx[key].shape == expected[key].shape
            report[size, key] = (np.abs(from_saved[key] - expected[key]).max(),
                                 np.abs(from_onnx[key] - expected[key]).max())
    print("max |SavedModel - Keras|, max |ONNX - Keras|:", {k: tuple(float(f"{v:.2g}") for v in pair)
                                                            for k, pair in report.items()})
    assert all(saved_diff < 1e-5 and onnx_diff < 1e-4 for saved_diff, onnx_diff in report.values()), report
    # The ONNX model still knows an espresso when it sees one.
    from PIL import Image

    coffee = np.asarray(Image.fromarray(skimage.data.coffee()).resize((224, 224), Image.BICUBIC), np.float32)
    assert int(np.argmax(session.run(["logits"], {"images": coffee[None] / 255.0})[0])) == 967


@pytest.mark.slow
def test_every_onnx_node_has_a_cuda_kernel_and_computes_in_float32(exported):
    _, _, proto = exported
    assert proto.opset_import[0].version == 17
    assert uncovered_nodes(proto, kernels()) == []
    ops = {node.op_type for node in proto.graph.node}
    assert "Conv" in ops and "GlobalAveragePool" not in ops  # SpatialMean stays a ReduceSum
    float_types = {init.data_type for init in proto.graph.initializer if init.data_type in
                   (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16)}
    assert float_types == {onnx.TensorProto.FLOAT}
    assert all(value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
               for value in list(proto.graph.input) + list(proto.graph.output))
