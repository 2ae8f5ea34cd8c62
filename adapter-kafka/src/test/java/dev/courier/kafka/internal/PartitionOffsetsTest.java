package dev.courier.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PartitionOffsetsTest {
  private final PartitionOffsets<String> offsets = new PartitionOffsets<>(new TopicPartition("t", 0));

  @Test
  @DisplayName("nothing read: no position to commit")
  void noneRead() {
    assertEquals(-1, offsets.position());
    assertEquals(0, offsets.behind());
  }

  @Test
  @DisplayName("the position is the first offset not done, however completions interleave")
  void firstNotDone() {
    offsets.open(5, "a");
    offsets.open(6, "b");
    offsets.open(7, "c");
    offsets.done(7, "c");
    offsets.done(6, "b");
    assertEquals(5, offsets.position());
    assertEquals(3, offsets.behind());
    offsets.done(5, "a");
    assertEquals(8, offsets.position());
    assertEquals(0, offsets.behind());
  }

  @Test
  @DisplayName("behind counts records read, not offsets: gaps (compaction, transaction markers) count nothing")
  void behindCountsRecords() {
    offsets.open(5, "a");
    offsets.read(100_000);
    assertEquals(2, offsets.behind());
    offsets.open(100_007, "b");
    offsets.done(5, "a");
    assertEquals(1, offsets.behind());
    offsets.done(100_007, "b");
    assertEquals(0, offsets.behind());
    offsets.open(100_010, "c");
    offsets.read(100_012);
    offsets.open(100_020, "d");
    offsets.read(100_030);
    offsets.done(100_020, "d");
    assertEquals(4, offsets.behind(), "records read from the first not done on, done ones included");
    offsets.done(100_010, "c");
    assertEquals(0, offsets.behind());
  }

  @Test
  @DisplayName("a record read and done at once moves the position past it")
  void readOnly() {
    offsets.read(3);
    assertEquals(4, offsets.position());
  }

  @Test
  @DisplayName("a record opened again (read again after a release) is done only by its new item")
  void reopened() {
    offsets.open(1, "first");
    offsets.open(1, "again");
    offsets.done(1, "first");
    assertEquals("again", offsets.openAt(1));
    offsets.done(1, "again");
    assertNull(offsets.openAt(1));
    assertEquals(2, offsets.position());
  }
}
