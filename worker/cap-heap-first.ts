/** Imported first by worker/main.ts, so the re-exec (see heap-cap.ts) happens before anything loads. */
import { capOwnHeap } from './heap-cap';

capOwnHeap();
