package dev.courier.bench;

import java.util.Arrays;

/** One figure over the rounds of a run: every round's value, their median and their spread. */
record Stats(double[] runs, double median, double min, double max) {
  static Stats of(double[] runs) {
    if (runs.length == 0) {
      throw new IllegalArgumentException("runs must not be empty");
    }
    double[] sorted = runs.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    return new Stats(runs.clone(), median, sorted[0], sorted[n - 1]);
  }

  /** The ratio {@code numerator[i] / denominator[i]} of each round: rounds pair runs made minutes apart. */
  static Stats ofRatios(double[] numerator, double[] denominator) {
    if (numerator.length != denominator.length) {
      throw new IllegalArgumentException("numerator and denominator need the same rounds: " + numerator.length
          + " vs " + denominator.length);
    }
    double[] ratios = new double[numerator.length];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] = numerator[i] / denominator[i];
    }
    return of(ratios);
  }
}
