import{a as n,b as p,c as t,d as l,e as d,g as c,k as h}from"./shared-5PZIC6ZI.js";var m=/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,s=class extends d{constructor(){super(...arguments);this.apiBase="";this._pools=[];this._open="";this._showMasks=!0;this._error="";this._maskSlot=null;this._fromHash=()=>{let o=decodeURIComponent(location.hash.slice(1)).toLowerCase();m.test(o)&&(this._open=o)};this._onChange=o=>{let{manifest:e}=o.detail,a={pool_id:e.pool_id,count:e.slots.length,revision:e.revision,cover:e.slots[0]?.image??null},r=this._pools.some(i=>i.pool_id===e.pool_id);this._pools=r?this._pools.map(i=>i.pool_id===e.pool_id?a:i):[...this._pools,a]};this._onError=o=>{console.warn("image pool:",o.detail.action,o.detail.message)};this._onMaskRequest=o=>{let a=this.renderRoot.querySelector("image-pool")?.manifest.slots.find(r=>r.id===o.detail.slot);a&&(this._maskSlot={slot:a.id,hasMask:!!a.mask},this.updateComplete.then(()=>this.renderRoot.querySelector("dialog")?.showModal()))}}static{this.styles=p`
    :host {
      display: grid; grid-template-columns: 240px minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr);
      height: 100%; font: 14px/1.4 system-ui, sans-serif; color: CanvasText; background: Canvas;
      --_line: color-mix(in srgb, CanvasText 18%, Canvas);
      --_soft: color-mix(in srgb, CanvasText 5%, Canvas);
      --_accent: var(--image-pool-accent, #3b82f6);
    }
    header {
      grid-column: 1 / -1; display: flex; align-items: center; gap: 12px; padding: 8px 16px;
      border-bottom: 1px solid var(--_line);
    }
    h1 { font-size: 16px; margin: 0; font-weight: 600; }
    header .hint { color: GrayText; font-size: 12px; }
    aside { border-right: 1px solid var(--_line); overflow-y: auto; padding: 8px; display: flex; flex-direction: column;
      gap: 4px; }
    main { display: flex; flex-direction: column; min-height: 0; }
    .bar { display: flex; align-items: center; gap: 8px; padding: 8px 12px; border-bottom: 1px solid var(--_line);
      flex-wrap: wrap; }
    .bar code { user-select: all; font-size: 12px; padding: 2px 6px; background: var(--_soft); border-radius: 4px; }
    .bar .spacer { flex: 1; }
    button { font: inherit; color: inherit; background: var(--_soft); border: 1px solid var(--_line);
      border-radius: 6px; padding: 4px 10px; cursor: pointer; }
    button:hover { border-color: var(--_accent); }
    button:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
    .pool { display: grid; grid-template-columns: 40px minmax(0, 1fr); gap: 8px; align-items: center; text-align: left;
      padding: 4px; }
    .pool[aria-current="true"] { border-color: var(--_accent); box-shadow: 0 0 0 1px var(--_accent); }
    .pool img, .pool .blank { width: 40px; height: 40px; object-fit: cover; border-radius: 4px; background: var(--_line); }
    .pool .id { font-family: ui-monospace, monospace; font-size: 12px; overflow: hidden; text-overflow: ellipsis; }
    .pool .meta { font-size: 11px; color: GrayText; }
    image-pool { flex: 1 1 auto; min-height: 0; }
    .placeholder { margin: auto; color: GrayText; text-align: center; padding: 24px; }
    .error { color: #e5484d; padding: 8px 12px; }
    dialog { border: 1px solid var(--_line); border-radius: 8px; color: CanvasText; background: Canvas; }
    dialog menu { display: flex; gap: 8px; padding: 0; margin: 12px 0 0; }
  `}static{this.properties={apiBase:{type:String,attribute:"api-base"},_pools:{state:!0},_open:{state:!0},_showMasks:{state:!0},_error:{state:!0},_maskSlot:{state:!0}}}get api(){return this._client?.base!==this.apiBase&&(this._client=new h(this.apiBase)),this._client}connectedCallback(){super.connectedCallback(),window.addEventListener("hashchange",this._fromHash),this._fromHash(),this.refresh()}disconnectedCallback(){super.disconnectedCallback(),window.removeEventListener("hashchange",this._fromHash)}_openPool(o){this._open=o,history.replaceState(null,"",`#${o}`)}async refresh(){try{this._pools=await this.api.pools(),!this._open&&this._pools.length&&this._openPool(this._pools[0].pool_id)}catch(o){this._error=o.message}}_newPool(){let o=crypto.randomUUID();this._pools=[...this._pools,{pool_id:o,count:0,revision:0,cover:null}],this._openPool(o)}async _detach(){try{let o=await this.api.detach(this._open);await this.refresh(),this._openPool(o.pool_id)}catch(o){this._error=o.message}}async _maskFromPicture(){let o=this.renderRoot.querySelector("#mask-file"),e=o?.files?.[0];!e||!this._maskSlot||(o.value="",await this._setMask(()=>this.api.setMaskFile(this._open,this._maskSlot.slot,e)))}async _setMask(o){this.renderRoot.querySelector("dialog")?.close();try{await o(),this._error=""}catch(e){this._error=e.message}this._maskSlot=null,await this.renderRoot.querySelector("image-pool")?.reload()}render(){return t`
      <header part="header">
        <h1>Image Pool</h1>
        <span class="hint">Click to select · drag or Alt+Arrow to reorder · F2 label · M mask · Delete remove ·
          drop or paste images to add</span>
      </header>
      <aside part="pools" aria-label="Pools">
        <button @click=${this._newPool}>+ New pool</button>
        ${this._pools.map(o=>t`
          <button class="pool" aria-current=${o.pool_id===this._open?"true":"false"} title=${o.pool_id}
                  @click=${()=>this._openPool(o.pool_id)}>
            ${o.cover?t`<img src=${this.api.thumbUrl(o.cover,128)} alt="">`:t`<span class="blank"></span>`}
            <span><div class="id">${o.pool_id}</div>
              <div class="meta">${o.count} ${o.count===1?"image":"images"}</div></span>
          </button>`)}
      </aside>
      <main>
        ${this._error?t`<div class="error" role="alert">${this._error}</div>`:l}
        ${this._open?t`
          <div class="bar" part="pool-bar">
            <span>Pool</span><code>${this._open}</code>
            <span class="spacer"></span>
            <label><input type="checkbox" .checked=${this._showMasks}
                          @change=${o=>{this._showMasks=o.target.checked}}>
              Show masks</label>
            <button @click=${this._detach} title="A new pool with the same images (nothing is copied on disk)">
              Detach (copy)</button>
          </div>
          <image-pool api-base=${this.apiBase} pool-id=${this._open} ?show-masks=${this._showMasks} tile-size="140"
                      @pool-change=${this._onChange} @pool-error=${this._onError}
                      @pool-mask-request=${this._onMaskRequest}></image-pool>`:t`<p class="placeholder">No pool yet. Press <b>New pool</b>, then drop images into it.</p>`}
      </main>
      <dialog @close=${()=>{this._maskSlot=null}}>
        <p>Set this image's mask from a picture: its alpha (transparent = masked) or, without alpha, white = masked.
          It must have the image's size.</p>
        <input id="mask-file" type="file" accept=${c} @change=${this._maskFromPicture}>
        <menu>
          ${this._maskSlot?.hasMask?t`<button @click=${()=>this._setMask(()=>this.api.clearMask(this._open,this._maskSlot.slot))}>Clear mask</button>`:l}
          <button @click=${()=>this.renderRoot.querySelector("dialog")?.close()}>Cancel</button>
        </menu>
      </dialog>`}};n("image-pool-manager",s);
