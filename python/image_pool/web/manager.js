import{a as m,b as c,c as h,d as o,e as r,f as u,g,j as _,k as v,l as f,m as k}from"./shared-QXQWXMEJ.js";function b(){if(typeof crypto.randomUUID=="function")return crypto.randomUUID();let l=crypto.getRandomValues(new Uint8Array(16));l[6]=l[6]&15|64,l[8]=l[8]&63|128;let s=Array.from(l,e=>e.toString(16).padStart(2,"0")).join("");return`${s.slice(0,8)}-${s.slice(8,12)}-${s.slice(12,16)}-${s.slice(16,20)}-${s.slice(20)}`}var x=/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,p=class extends u{constructor(){super(...arguments);this.apiBase="";this._pools=[];this.watchEvery=2e3;this._looking=!1;this._open="";this._showMasks=!0;this._error="";this._maskSlot=null;this._maskPicture=null;this._deleting=null;this._look=async()=>{if(!(document.visibilityState!=="visible"||this._looking)){this._looking=!0;try{await this.refresh();let e=this._openSummary,t=this.renderRoot.querySelector("image-pool");e&&t&&await t.refreshTo(e.revision)}finally{this._looking=!1}}};this._fromHash=()=>{let e=decodeURIComponent(location.hash.slice(1)).toLowerCase();x.test(e)&&(this._open=e)};this._onNameKey=e=>{let t=e.target;e.key==="Enter"?(e.preventDefault(),this._rename(e).then(()=>t.select())):e.key==="Escape"&&(e.preventDefault(),t.value=this._openSummary?.name??"",t.select())};this._onChange=e=>this._summarize(e.detail.manifest);this._onMaskRequest=e=>{let t=this.renderRoot.querySelector("image-pool"),a=t?.manifest.slots.findIndex(i=>i.id===e.detail.slot)??-1;!t||a<0||(this._maskSlot={slot:t.manifest.slots[a],position:a},this._setPicture(null),this.updateComplete.then(()=>this.renderRoot.querySelector("#mask-dialog")?.showModal()))}}static{this.styles=[f,h`
    :host {
      display: grid; grid-template-columns: 240px minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr);
      height: 100%; font: 14px/1.4 system-ui, sans-serif; color: CanvasText; background: Canvas;
      --_line: color-mix(in srgb, CanvasText 18%, Canvas);
      --_soft: color-mix(in srgb, CanvasText 5%, Canvas);
      --_accent: var(--image-pool-accent, #3b82f6);
      --_focus: var(--image-pool-focus, CanvasText);
      --_mask: var(--image-pool-mask-color, rgb(255 40 90 / 0.55));
    }
    header {
      grid-column: 1 / -1; display: flex; align-items: center; gap: 12px; padding: 8px 16px;
      border-bottom: 1px solid var(--_line);
    }
    h1 { font-size: 16px; margin: 0; font-weight: 600; }
    header .hint { color: GrayText; font-size: 12px; }
    aside { border-right: 1px solid var(--_line); overflow-y: auto; padding: 8px; display: flex; flex-direction: column;
      gap: 4px; }
    main { display: flex; flex-direction: column; min-height: 0; position: relative; }
    .notes { position: absolute; z-index: 2; top: 52px; left: 12px; right: 12px; pointer-events: none; }
    .notes > * { pointer-events: auto; }
    .mask-misfit { color: var(--image-pool-danger, #c62f3a); }
    .bar { display: flex; align-items: center; gap: 8px; padding: 8px 12px; border-bottom: 1px solid var(--_line);
      flex-wrap: wrap; }
    .bar code { user-select: all; font-size: 11px; padding: 2px 6px; background: var(--_soft); border-radius: 4px;
      color: GrayText; }
    .bar .name { font: inherit; font-weight: 600; flex: 1 1 16em; min-width: 12em; max-width: 48em; padding: 3px 6px;
      color: inherit; background: transparent; border: 1px solid transparent; border-radius: 6px; }
    .bar .name:hover { border-color: var(--_line); }
    .bar .spacer { flex: 1; }
    button { font: inherit; color: inherit; background: var(--_soft); border: 1px solid var(--_line);
      border-radius: 6px; padding: 4px 10px; cursor: pointer; }
    button:hover { border-color: var(--_accent); }
    button.danger:hover { border-color: var(--image-pool-danger, #c62f3a); }
    button:focus-visible, input:focus-visible { outline: 2px dashed var(--_focus); outline-offset: 2px; }
    .pool { display: grid; grid-template-columns: 40px minmax(0, 1fr); gap: 8px; align-items: center; text-align: left;
      padding: 4px; }
    .pool[aria-current="true"] { border-color: var(--_accent); box-shadow: 0 0 0 1px var(--_accent); }
    .pool img, .pool .blank { width: 40px; height: 40px; object-fit: cover; border-radius: 4px; background: var(--_line); }
    .pool .title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .pool .untitled { color: GrayText; font-style: italic; }
    .pool .meta { font-size: 11px; color: GrayText; }
    image-pool { flex: 1 1 auto; min-height: 0; }
    .placeholder { margin: auto; color: GrayText; text-align: center; padding: 24px; }
    dialog { border: 1px solid var(--_line); border-radius: 8px; color: CanvasText; background: Canvas; max-width: 560px; }
    dialog h2 { font-size: 15px; margin: 0 0 8px; }
    dialog menu { display: flex; gap: 8px; padding: 0; margin: 12px 0 0; justify-content: flex-end; }
    .previews { display: flex; gap: 12px; margin: 8px 0; }
    figure { margin: 0; display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: GrayText; }
    .preview { position: relative; width: 200px; height: 200px; background: var(--_soft); border-radius: 6px;
      display: grid; place-items: center; overflow: hidden; }
    .preview img { max-width: 100%; max-height: 100%; object-fit: contain; }
    .preview .overlay { position: absolute; inset: 0; background: var(--_mask); mask-size: contain;
      mask-position: center; mask-repeat: no-repeat; mask-mode: luminance; -webkit-mask-size: contain;
      -webkit-mask-position: center; -webkit-mask-repeat: no-repeat; }
  `]}static{this.properties={apiBase:{type:String,attribute:"api-base"},watchEvery:{type:Number,attribute:"watch-every"},...c("_pools","_open","_showMasks","_error","_maskSlot","_maskPicture","_deleting")}}get api(){return this._client?.base!==this.apiBase&&(this._client=new v(this.apiBase)),this._client}connectedCallback(){super.connectedCallback(),window.addEventListener("hashchange",this._fromHash),this._fromHash(),this.refresh(),this.watchEvery>0&&(this._watch=setInterval(this._look,this.watchEvery))}disconnectedCallback(){super.disconnectedCallback(),window.removeEventListener("hashchange",this._fromHash),clearInterval(this._watch)}_openPool(e){this._open=e,history.replaceState(null,"",e?`#${e}`:location.pathname)}get _openSummary(){return this._pools.find(e=>e.pool_id===this._open)}async _try(e){try{let t=await e();return this._error="",t}catch(t){this._error=_(t);return}}async refresh(){let e=await this._try(()=>this.api.pools());e&&(this._pools=d(e),!this._open&&e.length&&this._openPool(this._pools[0].pool_id))}async _newPool(){let e=new Set(this._pools.map(n=>n.name)),t="New pool";for(let n=2;e.has(t);n++)t=`New pool ${n}`;let a=await this._try(()=>this.api.rename(b(),t));if(!a)return;this._summarize(a),this._openPool(a.pool_id),await this.updateComplete;let i=this.renderRoot.querySelector(".bar .name");i?.focus(),i?.select()}async _rename(e){let t=e.target,a=this._openSummary;if(!a||t.value.trim()===a.name)return;let i=await this._try(()=>this.api.rename(this._open,t.value));i?this._summarize(i):t.value=a.name}async _detach(){let e=await this._try(()=>this.api.detach(this._open));e&&(await this.refresh(),this._openPool(e.pool_id))}async _delete(){let e=this._deleting;this._closeDialog("#delete-dialog"),e&&(e.revision>0&&await this._try(()=>this.api.deletePool(e.pool_id))===void 0||(this._pools=this._pools.filter(t=>t.pool_id!==e.pool_id),this._open===e.pool_id&&this._openPool(this._pools[0]?.pool_id??"")))}_summarize(e){let t={pool_id:e.pool_id,name:e.name??"",count:e.slots.length,revision:e.revision,cover:e.slots[0]?.image??null};this._pools.some(i=>i.pool_id===e.pool_id)?this._pools=d(this._pools.map(i=>i.pool_id===e.pool_id?t:i)):e.revision>0&&(this._pools=d([...this._pools,t]))}_setPicture(e){this._maskPicture&&URL.revokeObjectURL(this._maskPicture.url),this._maskPicture=e?{file:e,url:URL.createObjectURL(e)}:null}_measured(e){let t=e.target;this._maskPicture&&(this._maskPicture={...this._maskPicture,measured:!0,width:t.naturalWidth,height:t.naturalHeight})}_unmeasured(){this._maskPicture&&(this._maskPicture={...this._maskPicture,measured:!0})}_pictureMisfits(){let e=this._maskPicture,t=this._maskSlot?.slot;return!!(e?.width&&t&&(e.width!==t.width||e.height!==t.height))}_closeDialog(e){this.renderRoot.querySelector(e)?.close()}async _setMask(e){this._closeDialog("#mask-dialog"),await this._try(e),await this.renderRoot.querySelector("image-pool")?.reload()}_slotTitle(e,t){return e.label||e.name||`image ${t+1}`}_renderMaskDialog(){let e=this._maskSlot,t=i=>this.api.thumbUrl(i,256),a=i=>o`<div class="overlay" style="mask-image: url('${i}');
      -webkit-mask-image: url('${i}')"></div>`;return o`
      <dialog id="mask-dialog" aria-labelledby="mask-title"
              @close=${()=>{this._maskSlot=null,this._setPicture(null)}}>
        ${e?o`
          <h2 id="mask-title">Mask of “${this._slotTitle(e.slot,e.position)}” (image ${e.position+1},
            ${e.slot.width} × ${e.slot.height})</h2>
          <div class="previews">
            <figure>
              <div class="preview" part="mask-current">
                <img src=${t(e.slot.image)} alt="">
                ${e.slot.mask?a(t(e.slot.mask)):r}
              </div>
              <figcaption>${e.slot.mask?"Its mask now (tinted)":"No mask yet"}</figcaption>
            </figure>
            ${this._maskPicture?o`
              <figure>
                <div class="preview" part="mask-new"><img src=${this._maskPicture.url} alt="The chosen mask picture"
                                                          @load=${this._measured} @error=${this._unmeasured}></div>
                <figcaption>${this._maskPicture.file.name}${this._maskPicture.width?o`,
                  ${this._maskPicture.width} × ${this._maskPicture.height}`:r}</figcaption>
              </figure>`:r}
          </div>
          <p>Choose a picture of the image's size: its alpha (transparent = masked) or, without alpha, white = masked.</p>
          ${this._pictureMisfits()?o`<p class="mask-misfit" role="alert">This picture is
            ${this._maskPicture.width} × ${this._maskPicture.height}; the image is ${e.slot.width} ×
            ${e.slot.height}. Choose a picture of the image's size.</p>`:r}
          <input id="mask-file" type="file" accept=${g} aria-label="Mask picture"
                 @change=${i=>this._setPicture(i.target.files?.[0]??null)}>
          <menu>
            ${e.slot.mask?o`<button class="danger" @click=${()=>this._setMask(()=>this.api.clearMask(this._open,e.slot.id))}>Clear mask</button>`:r}
            <button @click=${()=>this._closeDialog("#mask-dialog")}>Cancel</button>
            <button ?disabled=${!this._maskPicture?.measured||this._pictureMisfits()} @click=${()=>{let i=this._maskPicture.file;this._setMask(()=>this.api.setMaskFile(this._open,e.slot.id,i))}}>Apply</button>
          </menu>`:r}
      </dialog>`}_renderDeleteDialog(){let e=this._deleting;return o`
      <dialog id="delete-dialog" aria-labelledby="delete-title" @close=${()=>{this._deleting=null}}>
        ${e?o`
          <h2 id="delete-title">Delete “${e.name||"Untitled pool"}”?</h2>
          <p>Its ${e.count} ${e.count===1?"image goes":"images go"} out of the pool, with its labels
            and masks. Images other pools hold stay; the others are removed from disk by the next
            <code>gc</code>.</p>
          <menu>
            <button @click=${()=>this._closeDialog("#delete-dialog")}>Cancel</button>
            <button class="danger" @click=${this._delete}>Delete pool</button>
          </menu>`:r}
      </dialog>`}render(){let e=this._openSummary;return o`
      <header part="header">
        <h1>Image Pool</h1>
        <span class="hint">Click to select · drag or Alt+Arrow to reorder · F2 label · M mask · Delete remove ·
          drop or paste images to add</span>
      </header>
      <aside part="pools" aria-label="Pools">
        <button @click=${this._newPool}>+ New pool</button>
        ${this._pools.map(t=>o`
          <button class="pool" aria-current=${t.pool_id===this._open?"true":"false"} title=${t.pool_id}
                  @click=${()=>this._openPool(t.pool_id)}>
            ${t.cover?o`<img src=${this.api.thumbUrl(t.cover,128)} alt="">`:o`<span class="blank"></span>`}
            <span><div class="title ${t.name?"":"untitled"}">${t.name||"Untitled pool"}</div>
              <div class="meta">${t.count} ${t.count===1?"image":"images"}</div></span>
          </button>`)}
      </aside>
      <main>
        <div class="notes">${this._error?k(this._error,()=>{this._error=""}):r}</div>
        ${this._open?o`
          <div class="bar" part="pool-bar">
            <input class="name" aria-label="Pool name" placeholder="Untitled pool" maxlength="200"
                   .value=${e?.name??""} @change=${this._rename} @keydown=${this._onNameKey}>
            <code title="The pool's id">${this._open}</code>
            <span class="spacer"></span>
            <label><input type="checkbox" .checked=${this._showMasks}
                          @change=${t=>{this._showMasks=t.target.checked}}>
              Show masks</label>
            <button @click=${this._detach} title="A new pool with the same images (nothing is copied on disk)">
              Detach (copy)</button>
            <button class="danger" ?disabled=${!e} @click=${()=>{this._deleting=e??null,this.updateComplete.then(()=>this.renderRoot.querySelector("#delete-dialog")?.showModal())}}>Delete…</button>
          </div>
          <image-pool api-base=${this.apiBase} pool-id=${this._open} ?show-masks=${this._showMasks} tile-size="140"
                      @pool-change=${this._onChange} @pool-mask-request=${this._onMaskRequest}></image-pool>`:o`<p class="placeholder">No pool yet. Press <b>New pool</b>, then drop images into it.</p>`}
      </main>
      ${this._renderMaskDialog()}
      ${this._renderDeleteDialog()}`}};function d(l){let s=e=>e.name.toLocaleLowerCase();return[...l].sort((e,t)=>(!e.name!=!t.name?e.name?-1:1:s(e).localeCompare(s(t)))||e.pool_id.localeCompare(t.pool_id))}m("image-pool-manager",p);
