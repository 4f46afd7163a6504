/**
 * Every text of the learning page, in English and Japanese. Elements carry
 * data-i18n="key"; dynamic text (labels, captions) looks keys up with t().
 */
export type Lang = 'en' | 'ja';

const en = {
  title: 'Activation functions, computed live on your GPU',
  lead:
    'Every curve and number on this page is computed by the WGSL kernels of webgpu-activations on ' +
    'this device, the same kernels a network calls in training.',
  switch: '日本語',
  loading: 'computing...',
  done: 'done',
  whyTitle: '1. Why activations exist',
  whyText:
    'A layer computes z = xW + b. Stack two: (xW1 + b1)W2 + b2 = x(W1W2) + (b1W2 + b2), which is again ' +
    'one linear map. However many linear layers you stack, the network can only draw a straight line ' +
    'between the classes. Put a non-linear function between the layers and the same network can bend ' +
    'its boundary around the data. Below, the same network (one hidden layer of 16) is trained on ' +
    'the same points twice: once with no activation (identity), once with ReLU.',
  whyLinear: 'without activation (identity): a straight line',
  whyRelu: 'with ReLU: the boundary bends around the inner disc',
  whyAccuracy: 'test accuracy',
  exploreTitle: '2. Every activation and its derivative',
  exploreText:
    'Pick an activation (or tick several to compare). The solid curve is f(x), the dashed one its ' +
    'derivative f\u2032(x), both over [-6, 6] and both computed by the GPU kernels (forward and ' +
    'backward with dy = 1). Sliders set the parameters.',
  compare: 'compare',
  formula: 'formula',
  range: 'range',
  usedIn: 'used in',
  nanInf: 'at \u00b1Inf',
  params: 'parameters',
  noParams: 'none',
  hidden: 'hidden layers',
  output: 'output layers',
  'hidden/output': 'hidden or output layers',
  fLabel: 'f(x)',
  dfLabel: 'f\u2032(x) (dashed)',
  vanishTitle: '3. The vanishing gradient',
  vanishText:
    'Backpropagation multiplies one derivative per layer. The sigmoid\u2019s derivative is at most 0.25, ' +
    'so after d layers the gradient that reaches the first layer is at most 0.25^d: after 20 layers, ' +
    'less than a trillionth. ReLU\u2019s derivative is exactly 1 wherever the unit is active, so the ' +
    'gradient does not shrink with depth. The plot chains this library\u2019s backward kernels through ' +
    'stacks of depth 1 to 50 (each layer is the activation alone, on 256 inputs drawn from a standard ' +
    'normal) and shows the mean size of the gradient at the input, on a log scale.',
  vanishBound: 'bound 0.25^d (sigmoid)',
  depth: 'depth',
  outputTitle: '4. Output layers',
  outputText:
    'Hidden layers need non-linearity; the output layer needs the right kind of answer. Drag the ' +
    'sliders: each value is sent through the GPU kernel.',
  regression: 'Regression \u2192 a number: identity',
  regressionText:
    'Predicting a price or a temperature: any real number is a valid answer, so the output is left as is.',
  binary: 'Yes or no \u2192 a probability: sigmoid',
  binaryText: 'Is this e-mail spam? sigmoid squeezes any score into (0, 1), read as P(yes).',
  multi: 'One of several classes \u2192 probabilities that sum to 1: softmax',
  multiText:
    'Cat, dog or bird? softmax turns one score per class into probabilities that are positive and sum to 1.',
  score: 'score',
  value: 'output',
  probability: 'P(yes)',
  classes: ['cat', 'dog', 'bird'],
  sum: 'sum',
  footer: 'API reference: docs/api (npm run docs). Training example: examples/mlp.',
};

const ja: typeof en = {
  title: '活性化関数 ― あなたの GPU でその場で計算',
  lead:
    'このページの曲線と数値はすべて、このデバイス上で webgpu-activations の WGSL カーネルが計算して' +
    'います。ネットワークの学習で呼ばれるのと同じカーネルです。',
  switch: 'English',
  loading: '計算中...',
  done: '完了',
  whyTitle: '1. なぜ活性化関数が必要か',
  whyText:
    '1 つの層は z = xW + b を計算します。2 層重ねると (xW1 + b1)W2 + b2 = x(W1W2) + (b1W2 + b2) となり、' +
    'やはり 1 つの線形写像です。線形な層をいくつ重ねても、クラスの間には直線しか引けません。層と層の間に' +
    '非線形な関数を挟むと、同じネットワークが境界をデータに沿って曲げられるようになります。下では、同じ' +
    'ネットワーク (隠れ層 16 ユニット 1 層) を同じ点で 2 回学習させています。1 回目は活性化なし (恒等関数)、' +
    '2 回目は ReLU です。',
  whyLinear: '活性化なし (恒等関数): 直線しか引けない',
  whyRelu: 'ReLU あり: 境界が内側の円を囲むように曲がる',
  whyAccuracy: 'テスト精度',
  exploreTitle: '2. 各活性化関数とその導関数',
  exploreText:
    '活性化関数を選んでください (複数にチェックを入れると比較できます)。実線が f(x)、破線が導関数 ' +
    'f\u2032(x) で、どちらも [-6, 6] の範囲を GPU カーネル (順伝播と、dy = 1 の逆伝播) で計算しています。' +
    'スライダーでパラメータを変えられます。',
  compare: '比較',
  formula: '式',
  range: '値域',
  usedIn: '使われる場所',
  nanInf: '\u00b1Inf での値',
  params: 'パラメータ',
  noParams: 'なし',
  hidden: '隠れ層',
  output: '出力層',
  'hidden/output': '隠れ層または出力層',
  fLabel: 'f(x)',
  dfLabel: 'f\u2032(x) (破線)',
  vanishTitle: '3. 勾配消失',
  vanishText:
    '誤差逆伝播では層ごとに導関数を 1 つずつ掛けていきます。シグモイドの導関数は最大でも 0.25 なので、' +
    'd 層を通って最初の層に届く勾配は 0.25^d 以下になります。20 層で 1 兆分の 1 未満です。ReLU の導関数は' +
    'ユニットが活性な所ではちょうど 1 なので、深さによって勾配が縮みません。グラフは深さ 1 から 50 の積み重ね' +
    'について、このライブラリの逆伝播カーネルを連鎖させて計算したものです (各層は活性化関数のみ、入力は' +
    '標準正規分布から 256 個)。入力に届いた勾配の平均の大きさを対数目盛で示します。',
  vanishBound: '上界 0.25^d (シグモイド)',
  depth: '深さ',
  outputTitle: '4. 出力層',
  outputText:
    '隠れ層には非線形性が必要ですが、出力層には答えの種類に合った関数が必要です。スライダーを動かすと、' +
    'その値が GPU カーネルに送られます。',
  regression: '回帰 \u2192 数値: 恒等関数',
  regressionText: '価格や気温の予測では、どんな実数も答えになり得るので、出力はそのまま使います。',
  binary: 'はい/いいえ \u2192 確率: シグモイド',
  binaryText:
    'このメールはスパムか? シグモイドは任意のスコアを (0, 1) に押し込み、P(はい) として読みます。',
  multi: '複数のクラスから 1 つ \u2192 合計 1 の確率: ソフトマックス',
  multiText:
    '猫、犬、鳥のどれ? ソフトマックスはクラスごとのスコアを、正で合計が 1 になる確率に変えます。',
  score: 'スコア',
  value: '出力',
  probability: 'P(はい)',
  classes: ['猫', '犬', '鳥'],
  sum: '合計',
  footer: 'API リファレンス: docs/api (npm run docs)。学習の例: examples/mlp。',
};

export const strings: Record<Lang, typeof en> = { en, ja };
export type Key = keyof typeof en;
