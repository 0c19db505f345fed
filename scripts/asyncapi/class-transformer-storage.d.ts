// class-transformer ships its metadata storage at cjs/storage but types it at types/storage
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
