// Writes text with a trained character model: run `npx rnnkit train` first, or pass a checkpoint path.
import { CharLM, CharVocab, generate, stream, type CharLMConfig } from 'rnnkit';
import { loadCheckpoint } from 'rnnkit/node';

const ckpt = await loadCheckpoint(process.argv[2] ?? 'runs/latest');
const model = new CharLM(ckpt.model.meta.model as CharLMConfig);
model.loadStateDict(ckpt.model.tensors);
const vocab = new CharVocab(ckpt.model.meta.vocab as string[]);
const options = { prime: 'the whale', length: 200, temperature: 0.8, seed: 1 };

// all at once
console.log(options.prime + generate(model, vocab, options));

// or one character at a time, as it is written (the same text: the same seed)
process.stdout.write(options.prime);
for await (const ch of stream(model, vocab, options)) process.stdout.write(ch);
process.stdout.write('\n');
