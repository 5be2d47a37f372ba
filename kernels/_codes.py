"""Small integer codes by which activations, losses and optimizers reach the kernels.

Plain ints (not function objects) keep every kernel a single cacheable compilation.
"""

# activations (hidden layers and output)
IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3
LEAKY_RELU = 4
SOFTMAX = 5
EXP = 6
STEP = 7

ACTIVATIONS = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "softmax": SOFTMAX,
    "exp": EXP,
    "step": STEP,
}

# losses; each fixes the output activation it is paired with (OUTPUT_ACTIVATION)
SQUARED_ERROR = 0  # half squared error, averaged over outputs as scikit-learn reports it
BINARY_LOG_LOSS = 1  # logistic output: binary and multilabel
LOG_LOSS = 2  # softmax output: multiclass
POISSON = 3  # exp output, half Poisson deviance
ABSOLUTE_ERROR = 4
HUBER = 5

LOSSES = {
    "squared_error": SQUARED_ERROR,
    "binary_log_loss": BINARY_LOG_LOSS,
    "log_loss": LOG_LOSS,
    "poisson": POISSON,
    "absolute_error": ABSOLUTE_ERROR,
    "huber": HUBER,
}

OUTPUT_ACTIVATION = {
    SQUARED_ERROR: IDENTITY,
    BINARY_LOG_LOSS: LOGISTIC,
    LOG_LOSS: SOFTMAX,
    POISSON: EXP,
    ABSOLUTE_ERROR: IDENTITY,
    HUBER: IDENTITY,
}

# optimizers
SGD = 0  # with (Nesterov) momentum
ADAM = 1
RMSPROP = 2
ADAGRAD = 3

OPTIMIZERS = {"sgd": SGD, "adam": ADAM, "rmsprop": RMSPROP, "adagrad": ADAGRAD}
OPTIMIZER_STATE_ROWS = {SGD: 1, ADAM: 2, RMSPROP: 1, ADAGRAD: 1}

# slots of the float64 hyper-parameter vector every training kernel takes
LR = 0  # learning rate of the epoch (initial rate for Adam, which corrects it per step)
MOMENTUM = 1
NESTEROV = 2  # 1.0 or 0.0
BETA_1 = 3
BETA_2 = 4
EPSILON = 5
ALPHA = 6  # L2 strength, scaled by the batch's sample-weight sum
L1 = 7  # L1 strength, scaled the same way
SLOPE = 8  # leaky ReLU slope
HUBER_DELTA = 9
RHO = 10  # RMSprop decay
CLIP_EPS = 11  # probability clipping for log-losses: machine epsilon of the dtype
DROPOUT_SEED = 12  # seed of this epoch's dropout masks (an integer below 2**53)
N_HYPER = 13
# hyper[N_HYPER + i], when present, is the dropout rate of hidden layer i (training only)
