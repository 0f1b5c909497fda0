export { createRestXmlCodec, type RestXmlOptions } from './codec.js';
