"""Layers with Keras 3's names, arguments and defaults, each a `torch.nn.Module`."""

from kerastorch.layers.base import KerasTensor, Layer, TorchModuleWrapper
from kerastorch.layers.conv import Conv1D, Conv2D, Conv3D, Convolution1D, Convolution2D, Convolution3D
from kerastorch.layers.core import Activation, Dense, Dropout, Flatten, Identity, Input, InputLayer
from kerastorch.layers.normalization import BatchNormalization
from kerastorch.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D,
                                       AvgPool2D, AvgPool3D, MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D,
                                       MaxPooling2D, MaxPooling3D)
from kerastorch.layers.conv import (Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, Convolution1DTranspose,
                                    Convolution2DTranspose, Convolution3DTranspose, DepthwiseConv1D,
                                    DepthwiseConv2D, SeparableConv1D, SeparableConv2D, SeparableConvolution1D,
                                    SeparableConvolution2D)
from kerastorch.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, Permute, RepeatVector, Reshape,
                                         UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D,
                                         ZeroPadding2D, ZeroPadding3D)
from kerastorch.layers.pooling import (GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
                                       GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D,
                                       GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                                       GlobalMaxPooling3D)
from kerastorch.layers.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell
from kerastorch.layers.normalization import GroupNormalization, LayerNormalization, UnitNormalization
from kerastorch.layers.embedding import Embedding
from kerastorch.layers.wrappers import Bidirectional, TimeDistributed
from kerastorch.layers.lambda_layer import Lambda, Masking
from kerastorch.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from kerastorch.layers.regularization import (ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise,
                                              SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from kerastorch.layers.preprocessing import (CenterCrop, Normalization, RandomBrightness, RandomContrast, RandomCrop,
                                            RandomFlip, RandomRotation, RandomTranslation, RandomZoom, Rescaling,
                                            Resizing)
from kerastorch.layers.augmentation import (AutoContrast, Equalization, RandomColorDegeneration, RandomColorJitter,
                                           RandomGrayscale, RandomHue, RandomInvert, RandomPosterization,
                                           RandomSaturation, Solarization)
from kerastorch.layers.augmentation import (RandomElasticTransform, RandomErasing, RandomGaussianBlur,
                                           RandomPerspective, RandomSharpness, RandomShear)
from kerastorch.layers.augmentation import ContrastLimitedAdaptiveHistogramEqualization, CutMix, MixUp
from kerastorch.layers.augmentation import AugMix, RandAugment
from kerastorch.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                      average, concatenate, dot, maximum, minimum, multiply, subtract)
from kerastorch.layers.rms_normalization import RMSNormalization
from kerastorch.layers.input_spec import InputSpec
from kerastorch.layers.wrapper import SpectralNormalization, Wrapper
from kerastorch.layers.serialization import deserialize, serialize
from kerastorch.layers.einsum_dense import EinsumDense
from kerastorch.layers.attention import AdditiveAttention, Attention, GroupQueryAttention, MultiHeadAttention
from kerastorch.layers.adaptive_pooling import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,
                                                AdaptiveAveragePooling3D, AdaptiveMaxPooling1D,
                                                AdaptiveMaxPooling2D, AdaptiveMaxPooling3D)
from kerastorch.layers.rnn import StackedRNNCells
from kerastorch.layers.unavailable import FlaxLayer, JaxLayer, TFSMLayer
from kerastorch.layers.rnn import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from kerastorch.layers.reversible_embedding import ReversibleEmbedding
from kerastorch.layers.pipeline import Pipeline
from kerastorch.layers.bounding_boxes import MaxNumBoundingBoxes
from kerastorch.layers.audio import MelSpectrogram, STFTSpectrogram
from kerastorch.layers.lookup import (CategoryEncoding, Discretization, HashedCrossing, Hashing, IntegerLookup,
                                     StringLookup, TextVectorization)
