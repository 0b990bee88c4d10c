#!/usr/bin/env node
// Production entry point: configuration from the environment, validated once; SIGTERM drains.
import { serve } from './entry.js';

await serve(process.env);
